// brotli on libbrotli. The encoder has no reset, so one is made per call (with the push's size as
// a hint, which keeps its tables small for small batches); decoding streams into the bounded
// sink. Both allocate through the counting allocator.
#include <brotli/decode.h>
#include <brotli/encode.h>

#include "pkg/compress/internal.h"

namespace goim::compress::internal {

namespace {
void* BAlloc(void*, size_t n) { return Alloc(n); }
void BFree(void*, void* p) { Free(p); }
}  // namespace

bool BrotliCompress(std::string_view in, std::string* out) {
  BrotliEncoderState* e = BrotliEncoderCreateInstance(BAlloc, BFree, nullptr);
  if (!e) return false;
  BrotliEncoderSetParameter(e, BROTLI_PARAM_QUALITY, kBrotliQuality);
  BrotliEncoderSetParameter(e, BROTLI_PARAM_LGWIN, kBrotliWindowBits);
  BrotliEncoderSetParameter(e, BROTLI_PARAM_SIZE_HINT, static_cast<uint32_t>(in.size()));
  out->resize(BrotliEncoderMaxCompressedSize(in.size()) + 16);
  size_t avail_in = in.size(), avail_out = out->size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
  uint8_t* next_out = reinterpret_cast<uint8_t*>(out->data());
  bool ok = BrotliEncoderCompressStream(e, BROTLI_OPERATION_FINISH, &avail_in, &next_in, &avail_out,
                                        &next_out, nullptr) &&
            BrotliEncoderIsFinished(e);
  BrotliEncoderDestroyInstance(e);
  out->resize(ok ? out->size() - avail_out : 0);
  return ok;
}

Status BrotliDecompress(std::span<const uint8_t> in, size_t max_out, std::string* out) {
  BrotliDecoderState* d = BrotliDecoderCreateInstance(BAlloc, BFree, nullptr);
  if (!d) return Status::kCorrupt;
  Sink sink(out, max_out, in.size());
  size_t avail_in = in.size();
  const uint8_t* next_in = in.data();
  Status st = Status::kCorrupt;
  for (;;) {
    if (!sink.Grow()) {
      st = Status::kTooLarge;
      break;
    }
    size_t room = sink.room(), avail_out = room;
    uint8_t* next_out = sink.next();
    BrotliDecoderResult r =
        BrotliDecoderDecompressStream(d, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    if (!sink.Wrote(room - avail_out)) {
      st = Status::kTooLarge;
      break;
    }
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && avail_out == 0) continue;
    if (r == BROTLI_DECODER_RESULT_SUCCESS) st = avail_in > 0 ? Status::kCorrupt : Status::kOk;
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) st = Status::kTruncated;
    break;  // BROTLI_DECODER_RESULT_ERROR: kCorrupt
  }
  sink.Finish();
  BrotliDecoderDestroyInstance(d);
  return st;
}

}  // namespace goim::compress::internal
