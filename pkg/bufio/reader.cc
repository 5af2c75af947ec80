#include "pkg/bufio/reader.h"

#include <cstring>

namespace goim::bufio {

void Reader::Compact() {
  if (r_ == 0) return;
  size_t n = w_ - r_;
  if (n > 0) std::memmove(buf_.data(), buf_.data() + r_, n);
  r_ = 0;
  w_ = n;
}

std::span<uint8_t> Reader::WritableTail() {
  if (r_ == w_) r_ = w_ = 0;
  // Compact only when the tail is less than half the buffer: moving bytes costs, reading short
  // costs more syscalls.
  if (buf_.size() - w_ < buf_.size() / 2) Compact();
  return buf_.subspan(w_);
}

Status Reader::Peek(size_t n, const uint8_t** out) {
  if (n > buf_.size()) return Status::kBufferFull;
  if (w_ - r_ < n) return Status::kNeedMore;
  *out = buf_.data() + r_;
  return Status::kOk;
}

Status Reader::Pop(size_t n, const uint8_t** out) {
  Status s = Peek(n, out);
  if (s == Status::kOk) r_ += n;
  return s;
}

Status Reader::Discard(size_t n) {
  if (w_ - r_ < n) return Status::kNeedMore;
  r_ += n;
  return Status::kOk;
}

}  // namespace goim::bufio
