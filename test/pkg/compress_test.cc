// pkg/compress: round trips of the three codecs, the bound on decompressed output (bombs), corrupt
// and truncated input, and a seeded fuzz run of random and mutated streams that checks every call
// ends with a status, its output within the bound and the codec state within a fixed size. The
// pkg suite also runs under AddressSanitizer (scripts/test.sh).
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "pkg/compress/compress.h"

namespace goim::compress {
namespace {

std::span<const uint8_t> S(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr Codec kCodecs[] = {Codec::kZlib, Codec::kBrotli, Codec::kDeflateRaw};

// Text that compresses as danmaku JSON does: repeated keys, varied values.
std::string Danmaku(std::mt19937& rng, size_t n) {
  static const char* kWords[] = {"666", "hello", "awsl", "2333", "up主", "前方高能", "哈哈哈"};
  std::string s;
  while (s.size() < n) {
    s += "{\"mid\":" + std::to_string(rng() % 100000000) + ",\"text\":\"" + kWords[rng() % 7] +
         kWords[rng() % 7] + "\"}";
  }
  s.resize(n);
  return s;
}

TEST(Compress, RoundTripsAtEverySize) {
  std::mt19937 rng(7);
  for (Codec c : kCodecs) {
    for (size_t n : {size_t(0), size_t(1), size_t(100), size_t(2320), size_t(70000)}) {
      std::string text = Danmaku(rng, n), z, out;
      ASSERT_TRUE(Compress(c, text, &z)) << CodecName(c) << " " << n;
      if (n >= 2320) {
        EXPECT_LT(z.size() * 2, n) << CodecName(c) << ": JSON compresses";
      }
      ASSERT_EQ(Decompress(c, S(z), n, &out), Status::kOk) << CodecName(c) << " " << n;
      EXPECT_EQ(out, text);
      if (n > 0) {  // one byte less room than the text needs
        EXPECT_EQ(Decompress(c, S(z), n - 1, &out), Status::kTooLarge) << CodecName(c) << " " << n;
        EXPECT_EQ(out.size(), n - 1);
      }
    }
  }
}

// RFC 7692 7.2.1: a sync flush's 00 00 FF FF is left off, and put back to inflate.
TEST(Compress, DeflateRawIsAPermessageDeflateMessage) {
  std::string z, out;
  ASSERT_TRUE(Compress(Codec::kDeflateRaw, "Hello", &z));
  // RFC 7692 7.2.3.1: "Hello" compressed with no context takeover.
  EXPECT_EQ(z, std::string("\xf2\x48\xcd\xc9\xc9\x07\x00", 7));
  const std::string rfc("\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  ASSERT_EQ(Decompress(Codec::kDeflateRaw, S(rfc), 100, &out), Status::kOk);
  EXPECT_EQ(out, "Hello");
  // RFC 7692 7.2.3.3: a message may end with a final block (BFINAL set) instead.
  const std::string final_block("\xf3\x48\xcd\xc9\xc9\x07\x00", 7);
  ASSERT_EQ(Decompress(Codec::kDeflateRaw, S(final_block), 100, &out), Status::kOk);
  EXPECT_EQ(out, "Hello");
  // RFC 7692 7.2.3.2: an uncompressed (stored) block.
  const std::string stored("\x00\x05\x00\xfa\xff\x48\x65\x6c\x6c\x6f\x00", 11);
  ASSERT_EQ(Decompress(Codec::kDeflateRaw, S(stored), 100, &out), Status::kOk);
  EXPECT_EQ(out, "Hello");
}

TEST(Compress, BombsStopAtTheBound) {
  std::string zeros(16 << 20, '\0'), z, out;
  for (Codec c : kCodecs) {
    ASSERT_TRUE(Compress(c, zeros, &z));
    ASSERT_LT(z.size(), 70000u) << CodecName(c);  // 16 MB in a few KB at most
    EXPECT_EQ(Decompress(c, S(z), 4112, &out), Status::kTooLarge) << CodecName(c);
    EXPECT_EQ(out.size(), 4112u);
    EXPECT_LE(out.capacity(), 2 * 4113u) << "no more output held than the bound";
  }
}

TEST(Compress, CorruptAndTruncatedInputIsRefused) {
  std::mt19937 rng(3);
  std::string text = Danmaku(rng, 3000), out;
  for (Codec c : kCodecs) {
    std::string z;
    ASSERT_TRUE(Compress(c, text, &z));
    // Every proper prefix: cut short, never the text.
    for (size_t n = 0; n < z.size(); ++n) {
      Status st = Decompress(c, S(z.substr(0, n)), 1 << 20, &out);
      EXPECT_NE(st, Status::kOk) << CodecName(c) << " prefix " << n;
    }
  }
  // Bytes that are no stream: a zlib header with a bad check, brotli's and deflate's reserved
  // block types.
  EXPECT_EQ(Decompress(Codec::kZlib, S("\x78\x9d garbage"), 100, &out), Status::kCorrupt);
  EXPECT_EQ(Decompress(Codec::kDeflateRaw, S("\xff\xff\xff\xff"), 100, &out), Status::kCorrupt);
  EXPECT_EQ(Decompress(Codec::kBrotli, S("\xff\xff\xff\xff\xff"), 100, &out), Status::kCorrupt);
  // A zlib stream with bytes after its end.
  std::string z;
  ASSERT_TRUE(Compress(Codec::kZlib, "abc", &z));
  EXPECT_EQ(Decompress(Codec::kZlib, S(z + "x"), 100, &out), Status::kCorrupt);
  // A zlib stream whose checksum does not match its data.
  z.back() ^= 1;
  EXPECT_EQ(Decompress(Codec::kZlib, S(z), 100, &out), Status::kCorrupt);
}

// Random bytes, and valid streams with bits flipped, bytes cut, inserted or spliced from another
// stream, against bounds from 0 to 8 KB. Seeded: a failure repeats. Every call must end with a
// status and output within its bound, and the inflaters' state stays as it was once warm (zlib,
// raw deflate) or within brotli's largest window (16 MB, only ever decoded by clients).
TEST(Compress, FuzzedInputEndsBoundedWithAStatus) {
  std::mt19937 rng(20240615);
  for (Codec c : kCodecs) {
    std::string warm, out;
    ASSERT_TRUE(Compress(c, Danmaku(rng, 50000), &warm));
    ASSERT_EQ(Decompress(c, S(warm), 1 << 20, &out), Status::kOk);
    const size_t base = HeapInUse();
    ResetHeapPeak();
    std::string valid[4];
    for (auto& v : valid) ASSERT_TRUE(Compress(c, Danmaku(rng, 100 + rng() % 20000), &v));
    ResetHeapPeak();
    int results[4] = {0, 0, 0, 0};
    for (int i = 0; i < 3000; ++i) {
      std::string in = valid[rng() % 4];
      switch (rng() % 5) {
        case 0:  // random bytes
          in.resize(rng() % 2000);
          for (char& ch : in) ch = static_cast<char>(rng());
          break;
        case 1:  // bit flips
          for (int k = 1 + rng() % 4; k > 0 && !in.empty(); --k)
            in[rng() % in.size()] ^= 1 << rng() % 8;
          break;
        case 2:  // cut
          in.resize(rng() % (in.size() + 1));
          break;
        case 3:  // bytes inserted
          in.insert(rng() % (in.size() + 1), std::string(1 + rng() % 8, static_cast<char>(rng())));
          break;
        case 4: {  // spliced: the head of one stream, the tail of another
          const std::string& other = valid[rng() % 4];
          in = in.substr(0, rng() % (in.size() + 1)) + other.substr(rng() % (other.size() + 1));
          break;
        }
      }
      const size_t bound = rng() % 8193;
      std::string out;  // fresh: its capacity is what this call took
      Status st = Decompress(c, S(in), bound, &out);
      ASSERT_LE(static_cast<int>(st), 3);
      ++results[static_cast<int>(st)];
      ASSERT_LE(out.size(), bound) << CodecName(c) << " case " << i;
      ASSERT_LE(out.capacity(), 2 * (bound + 1) + 1024) << CodecName(c) << " case " << i;
    }
    const size_t peak = HeapPeak() - base;
    if (c == Codec::kBrotli)
      EXPECT_LE(peak, size_t(17) << 20) << "brotli: its largest window and tables";
    else
      EXPECT_EQ(peak, 0u) << CodecName(c) << ": the warm inflater allocated more";
    EXPECT_EQ(HeapInUse(), base) << CodecName(c) << ": codec memory leaked";
    // The run exercised more than one outcome (not every input refused at its first byte).
    int outcomes = 0;
    for (int r : results) outcomes += r > 0;
    EXPECT_GE(outcomes, 3) << CodecName(c) << " ok " << results[0] << " too large " << results[1]
                           << " corrupt " << results[2] << " truncated " << results[3];
  }
}

}  // namespace
}  // namespace goim::compress
