#include "pkg/compress/compress.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>

#include "pkg/compress/internal.h"

namespace goim::compress {

namespace {
thread_local size_t heap_in_use = 0;
thread_local size_t heap_peak = 0;
constexpr size_t kPrefix = alignof(std::max_align_t);  // keeps the block aligned as malloc's
}  // namespace

namespace internal {

void* Alloc(size_t n) {
  auto* p = static_cast<uint8_t*>(std::malloc(n + kPrefix));
  if (!p) return nullptr;
  *reinterpret_cast<size_t*>(p) = n;
  heap_in_use += n;
  heap_peak = std::max(heap_peak, heap_in_use);
  return p + kPrefix;
}

void Free(void* block) {
  if (!block) return;
  uint8_t* p = static_cast<uint8_t*>(block) - kPrefix;
  heap_in_use -= *reinterpret_cast<size_t*>(p);
  std::free(p);
}

Sink::Sink(std::string* out, size_t max_out, size_t input_size)
    : out_(out), limit_(max_out == std::numeric_limits<size_t>::max() ? max_out : max_out + 1) {
  // A first guess of 4x the input (text compresses 3-5x), within the bound.
  size_t first = std::max<size_t>(512, input_size > limit_ / 4 ? limit_ : input_size * 4);
  out_->resize(std::min(first, limit_));
}

bool Sink::Wrote(size_t n) {
  used_ += n;
  return used_ < limit_;
}

bool Sink::Grow() {
  if (room() > 0) return true;
  if (out_->size() >= limit_) return false;
  size_t next = out_->size() > limit_ / 2 ? limit_ : out_->size() * 2;
  out_->resize(next);
  return true;
}

void Sink::Finish() { out_->resize(std::min(used_, limit_ - 1)); }

}  // namespace internal

const char* CodecName(Codec c) {
  switch (c) {
    case Codec::kZlib:
      return "zlib";
    case Codec::kBrotli:
      return "brotli";
    case Codec::kDeflateRaw:
      return "deflate-raw";
  }
  return "unknown";
}

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kTooLarge:
      return "too large";
    case Status::kCorrupt:
      return "corrupt";
    case Status::kTruncated:
      return "truncated";
  }
  return "unknown";
}

bool Compress(Codec c, std::string_view in, std::string* out) {
  switch (c) {
    case Codec::kZlib:
      return internal::ZlibCompress(false, in, out);
    case Codec::kDeflateRaw:
      return internal::ZlibCompress(true, in, out);
    case Codec::kBrotli:
      return internal::BrotliCompress(in, out);
  }
  return false;
}

Status Decompress(Codec c, std::span<const uint8_t> in, size_t max_out, std::string* out) {
  switch (c) {
    case Codec::kZlib:
      return internal::ZlibDecompress(false, in, max_out, out);
    case Codec::kDeflateRaw:
      return internal::ZlibDecompress(true, in, max_out, out);
    case Codec::kBrotli:
      return internal::BrotliDecompress(in, max_out, out);
  }
  return Status::kCorrupt;
}

size_t HeapInUse() { return heap_in_use; }
size_t HeapPeak() { return heap_peak; }
void ResetHeapPeak() { heap_peak = heap_in_use; }

}  // namespace goim::compress
