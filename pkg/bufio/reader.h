// bufio::Reader: a read buffer over caller-owned fixed memory, as goim's pkg/bufio Reader
// (Peek, Pop, Discard, fill). Two ways to feed it:
//  - with a Source (blocking clients, tests): Peek/Pop read from the source until enough bytes
//    are buffered;
//  - without one (event loops): the loop reads into WritableTail() and calls Commit(); Peek/Pop
//    then answer kNeedMore until a whole request is buffered.
// Returned pointers stay valid until the next call that fills or compacts. [single thread]
#pragma once

#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "pkg/bufio/status.h"

namespace goim::bufio {

class Reader {
 public:
  // Reads up to n bytes into dst: > 0 bytes read, 0 end of stream, < 0 error.
  using Source = std::function<ssize_t(uint8_t* dst, size_t n)>;

  Reader() = default;
  explicit Reader(std::span<uint8_t> buf, Source src = nullptr) : buf_(buf), src_(std::move(src)) {}

  // Attaches a new (empty) buffer; anything buffered before is dropped.
  void Reset(std::span<uint8_t> buf) {
    buf_ = buf;
    r_ = w_ = 0;
  }
  void SetSource(Source src) { src_ = std::move(src); }

  size_t Buffered() const { return w_ - r_; }
  size_t Capacity() const { return buf_.size(); }
  std::span<uint8_t> Buffer() const { return buf_; }

  // The next n bytes without consuming them.
  Status Peek(size_t n, const uint8_t** out);
  // The next n bytes, consumed.
  Status Pop(size_t n, const uint8_t** out);
  // Skips n bytes (reading from the source when they are not buffered yet).
  Status Discard(size_t n);
  // Compacts, then one read from the source into the free space.
  Status Fill();

  // Event-loop feeding: free space after the buffered bytes (compacting first when the tail is
  // short), then Commit() what was read into it.
  std::span<uint8_t> WritableTail();
  void Commit(size_t n) { w_ += n; }

 private:
  void Compact();

  std::span<uint8_t> buf_;
  Source src_;
  size_t r_ = 0;
  size_t w_ = 0;
};

}  // namespace goim::bufio
