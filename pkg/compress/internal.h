// What the codec files of pkg/compress share: the counting allocator behind HeapInUse/HeapPeak,
// the bounded output buffer decompression fills, and each codec's entry points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pkg/compress/compress.h"

namespace goim::compress::internal {

// malloc/free that keep the calling thread's counters (the size is kept before the block).
void* Alloc(size_t n);
void Free(void* p);

// The output of one decompression: grows *out by doubling up to max_out + 1 bytes, the byte that
// tells the output is over the bound.
class Sink {
 public:
  Sink(std::string* out, size_t max_out, size_t input_size);
  // Where the codec may write next and how much; grows the buffer when it is full. Nothing left
  // (0) means the output went over max_out.
  uint8_t* next() { return reinterpret_cast<uint8_t*>(out_->data()) + used_; }
  size_t room() const { return out_->size() - used_; }
  // Records n bytes written at next(); false when the output is now over max_out.
  bool Wrote(size_t n);
  // Makes room when there is none; false when the bound is reached.
  bool Grow();
  // Cuts *out to what was written (at most max_out bytes).
  void Finish();

 private:
  std::string* out_;
  size_t limit_;  // max_out + 1
  size_t used_ = 0;
};

bool ZlibCompress(bool raw, std::string_view in, std::string* out);
Status ZlibDecompress(bool raw, std::span<const uint8_t> in, size_t max_out, std::string* out);
bool BrotliCompress(std::string_view in, std::string* out);
Status BrotliDecompress(std::span<const uint8_t> in, size_t max_out, std::string* out);

}  // namespace goim::compress::internal
