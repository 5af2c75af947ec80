#include "pkg/bufio/writer.h"

#include <cstring>

namespace goim::bufio {

Status Writer::Flush() {
  if (n_ == 0) return Status::kOk;
  if (!sink_) return Status::kBufferFull;
  Status s = sink_(buf_.data(), n_);
  if (s == Status::kOk) n_ = 0;
  return s;
}

Status Writer::Peek(size_t n, uint8_t** out) {
  if (n > buf_.size()) return Status::kBufferFull;
  if (buf_.size() - n_ < n) {
    Status s = Flush();
    if (s != Status::kOk) return s;
  }
  *out = buf_.data() + n_;
  n_ += n;
  return Status::kOk;
}

Status Writer::Write(const void* p, size_t n) {
  auto* src = static_cast<const uint8_t*>(p);
  while (n > 0) {
    if (n_ == buf_.size()) {
      Status s = Flush();
      if (s != Status::kOk) return s;
    }
    // A large write into an empty buffer goes straight to the sink.
    if (n_ == 0 && n >= buf_.size() && sink_) return sink_(src, n);
    size_t k = std::min(n, buf_.size() - n_);
    std::memcpy(buf_.data() + n_, src, k);
    n_ += k;
    src += k;
    n -= k;
  }
  return Status::kOk;
}

Status Writer::WriteRaw(const void* p, size_t n) {
  if (n_ == 0 && sink_) return sink_(static_cast<const uint8_t*>(p), n);
  return Write(p, n);
}

}  // namespace goim::bufio
