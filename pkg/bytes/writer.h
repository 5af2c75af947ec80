// bytes::Writer: a growable byte buffer (goim's pkg/bytes Writer): append, reserve-and-fill,
// reset. Used to build room batches (many frames back to back) and other encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace goim::bytes {

class Writer {
 public:
  explicit Writer(size_t reserve = 0) { buf_.reserve(reserve); }

  void Write(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  void Write(std::string_view s) { buf_.append(s); }
  // n bytes at the end for the caller to fill.
  uint8_t* Peek(size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    return reinterpret_cast<uint8_t*>(buf_.data() + at);
  }
  void Reset() { buf_.clear(); }
  size_t Size() const { return buf_.size(); }
  std::string_view View() const { return buf_; }
  // Hands the bytes over and leaves the writer empty.
  std::string Take() {
    std::string out;
    out.swap(buf_);
    return out;
  }

 private:
  std::string buf_;
};

}  // namespace goim::bytes
