// bufio::Writer: a write buffer over caller-owned fixed memory with a Sink, as goim's pkg/bufio
// Writer (Peek, Write, WriteRaw, Flush). Without a sink it is a bounded encoder: writes that do
// not fit answer kBufferFull. [single thread]
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "pkg/bufio/status.h"

namespace goim::bufio {

class Writer {
 public:
  // Writes all n bytes or fails.
  using Sink = std::function<Status(const uint8_t* p, size_t n)>;

  Writer() = default;
  explicit Writer(std::span<uint8_t> buf, Sink sink = nullptr)
      : buf_(buf), sink_(std::move(sink)) {}

  void Reset(std::span<uint8_t> buf) {
    buf_ = buf;
    n_ = 0;
  }
  void SetSink(Sink sink) { sink_ = std::move(sink); }

  size_t Buffered() const { return n_; }
  size_t Available() const { return buf_.size() - n_; }
  std::span<const uint8_t> Bytes() const { return {buf_.data(), n_}; }
  void Clear() { n_ = 0; }

  // Reserves the next n bytes of the buffer for the caller to fill (flushing first when they do
  // not fit); the bytes count as written.
  Status Peek(size_t n, uint8_t** out);
  Status Write(const void* p, size_t n);
  // Writes straight to the sink when nothing is buffered (no copy), else like Write.
  Status WriteRaw(const void* p, size_t n);
  Status Flush();

 private:
  std::span<uint8_t> buf_;
  Sink sink_;
  size_t n_ = 0;
};

}  // namespace goim::bufio
