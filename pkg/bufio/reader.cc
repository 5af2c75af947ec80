#include "pkg/bufio/reader.h"

#include <cstring>

namespace goim::bufio {

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kNeedMore:
      return "need more";
    case Status::kBufferFull:
      return "buffer full";
    case Status::kEof:
      return "eof";
    case Status::kIoError:
      return "io error";
    case Status::kNegativeCount:
      return "negative count";
  }
  return "unknown";
}

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

Status Reader::Fill() {
  if (!src_) return Status::kNeedMore;
  Compact();
  if (w_ >= buf_.size()) return Status::kBufferFull;
  ssize_t n = src_(buf_.data() + w_, buf_.size() - w_);
  if (n < 0) return Status::kIoError;
  if (n == 0) return Status::kEof;
  w_ += static_cast<size_t>(n);
  return Status::kOk;
}

Status Reader::Peek(size_t n, const uint8_t** out) {
  if (n > buf_.size()) return Status::kBufferFull;
  while (w_ - r_ < n) {
    Status s = Fill();
    if (s != Status::kOk) return s;
  }
  *out = buf_.data() + r_;
  return Status::kOk;
}

Status Reader::Pop(size_t n, const uint8_t** out) {
  Status s = Peek(n, out);
  if (s == Status::kOk) r_ += n;
  return s;
}

Status Reader::Discard(size_t n) {
  while (n > 0) {
    if (r_ == w_) {
      Status s = Fill();
      if (s != Status::kOk) return s;
    }
    size_t k = std::min(n, w_ - r_);
    r_ += k;
    n -= k;
  }
  return Status::kOk;
}

}  // namespace goim::bufio
