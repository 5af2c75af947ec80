// Whole-buffer compression and bounded decompression for the three codecs the comet speaks:
// zlib (RFC 1950; bilibili's protocol version 2), brotli (RFC 7932; version 3) and raw deflate
// as permessage-deflate carries it (RFC 1951 sync-flushed, RFC 7692 7.2). Codec state lives per
// thread and is reset between calls, so a warm call allocates only its output (brotli's encoder
// excepted: it has no reset and is made per call). Decompression never holds more output than
// the caller's bound (+1), whatever the input: a decompression bomb costs at most that bound.
// [thread-safe]
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace goim::compress {

enum class Codec : uint8_t {
  kZlib,        // RFC 1950 stream: header, deflate data, Adler-32
  kBrotli,      // RFC 7932 stream
  kDeflateRaw,  // one permessage-deflate message: raw deflate without its 00 00 FF FF tail
};
const char* CodecName(Codec c);

// Settings fixed in code: the comet compresses each push once for all its receivers, so the
// level buys bytes for every receiver at a one-off CPU cost (docs/benchmarks.md measures it).
inline constexpr int kZlibLevel = 6;
inline constexpr int kBrotliQuality = 5;
inline constexpr int kBrotliWindowBits = 18;

enum class Status : uint8_t {
  kOk,
  kTooLarge,   // the output would exceed the bound (a decompression bomb, or a bound too low)
  kCorrupt,    // not a valid stream of the codec (trailing bytes after its end included)
  kTruncated,  // the input ends inside the stream
};
const char* StatusName(Status s);

// Replaces *out with `in` compressed. kDeflateRaw compresses with no context from earlier calls
// (the server_no_context_takeover of RFC 7692) and leaves off the final 00 00 FF FF. False only
// when the library fails (out of memory).
bool Compress(Codec c, std::string_view in, std::string* out);

// Replaces *out with `in` decompressed, at most max_out bytes of it (the buffer never grows past
// max_out + 1: the byte that shows the output is over). kDeflateRaw takes one
// permessage-deflate message: the 00 00 FF FF tail is added back, and the data must end on a block
// boundary or with a final block, else kTruncated. On an error *out holds what was decoded so far.
Status Decompress(Codec c, std::span<const uint8_t> in, size_t max_out, std::string* out);

// Heap bytes the calling thread's codec state holds now, and the most it held since
// ResetHeapPeak(): the codecs allocate through these counters, so tests can bound them.
size_t HeapInUse();
size_t HeapPeak();
void ResetHeapPeak();

}  // namespace goim::compress
