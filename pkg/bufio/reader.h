// bufio::Reader: a read buffer over caller-owned fixed memory for an event loop, as goim's
// pkg/bufio Reader (Peek, Pop, Discard) without the blocking source: the loop reads into
// WritableTail() and calls Commit(); Peek/Pop answer kNeedMore until a whole request is buffered.
// Returned pointers stay valid until the next WritableTail() (which may compact). [single thread]
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace goim::bufio {

enum class Status : uint8_t {
  kOk = 0,
  kNeedMore,    // not enough bytes buffered yet
  kBufferFull,  // the request is larger than the buffer can ever hold
};

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::span<uint8_t> buf) : buf_(buf) {}

  // Attaches a new (empty) buffer; anything buffered before is dropped.
  void Reset(std::span<uint8_t> buf) {
    buf_ = buf;
    r_ = w_ = 0;
  }

  size_t Buffered() const { return w_ - r_; }
  size_t Capacity() const { return buf_.size(); }
  std::span<uint8_t> Buffer() const { return buf_; }

  // The next n bytes without consuming them.
  Status Peek(size_t n, const uint8_t** out);
  // The next n bytes, consumed.
  Status Pop(size_t n, const uint8_t** out);
  // Skips n buffered bytes; consumes nothing when fewer are buffered.
  Status Discard(size_t n);

  // Free space after the buffered bytes (compacting first when the tail is short), then Commit()
  // what was read into it.
  std::span<uint8_t> WritableTail();
  void Commit(size_t n) { w_ += n; }

 private:
  void Compact();

  std::span<uint8_t> buf_;
  size_t r_ = 0;
  size_t w_ = 0;
};

}  // namespace goim::bufio
