// Room pushes with room offsets (history, issue 14): connections that opted in get each frame's
// offset in seq, in every variant (plain, zlib, brotli, permessage-deflate); everyone else gets
// the frames exactly as job sent them. AppendNumbered leaves out what a connection already had.
#include <gtest/gtest.h>

#include "comet/push.h"
#include "pkg/compress/compress.h"
#include "pkg/protocol/frame.h"

namespace goim::comet {
namespace {

std::string Frames(int n, size_t body_size) {
  std::string out;
  for (int i = 0; i < n; ++i)
    protocol::AppendFrame(&out, 1, 1000, 0, "m" + std::to_string(i) + std::string(body_size, 'x'));
  return out;
}

// The (seq, body) of each frame.
std::vector<std::pair<int32_t, std::string>> Decode(const std::string& bytes) {
  std::vector<std::pair<int32_t, std::string>> out;
  size_t at = 0;
  while (at < bytes.size()) {
    protocol::Frame f;
    size_t used = 0;
    auto in = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()) + at,
                                       bytes.size() - at);
    if (protocol::DecodeFrame(in, &f, &used) != protocol::Error::kOk) {
      ADD_FAILURE() << "bad frame at " << at;
      break;
    }
    out.emplace_back(f.seq, f.body);
    at += used;
  }
  return out;
}

TEST(HistoryPush, OptedInConnectionsGetTheOffsetsInSeqOthersGoimsBytes) {
  Config cfg;
  const std::string frames = Frames(3, 300);
  PushData d(frames, 3, {7, 8, 9}, "ep");
  EXPECT_TRUE(d.numbered());
  EXPECT_EQ(d.first_offset(), 7);
  EXPECT_EQ(d.last_offset(), 9);
  EXPECT_EQ(d.Get(Variant::kFrames, false, cfg).bytes, frames) << "goim's bytes, untouched";
  auto numbered = Decode(d.Get(Variant::kFrames, true, cfg).bytes);
  ASSERT_EQ(numbered.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(numbered[static_cast<size_t>(i)].first, 7 + i);
    EXPECT_EQ(numbered[static_cast<size_t>(i)].second.substr(0, 2), "m" + std::to_string(i));
  }
  // Made once: the same bytes on every call.
  EXPECT_EQ(&d.Get(Variant::kFrames, true, cfg), &d.Get(Variant::kFrames, true, cfg));

  // A compressed batch (OpRaw ver 2 / 3) inflates to the numbered frames; the plain one to seq 0.
  const std::pair<Variant, compress::Codec> codecs[] = {
      {Variant::kZlib, compress::Codec::kZlib}, {Variant::kBrotli, compress::Codec::kBrotli}};
  for (auto [v, codec] : codecs) {
    for (bool seq : {false, true}) {
      const Payload& p = d.Get(v, seq, cfg);
      ASSERT_EQ(p.kind, Payload::kFrame) << VariantName(v);
      auto outer = Decode(p.bytes);
      ASSERT_EQ(outer.size(), 1u);
      std::string inner;
      const std::string& z = outer[0].second;
      ASSERT_EQ(compress::Decompress(codec, {reinterpret_cast<const uint8_t*>(z.data()), z.size()},
                                     1 << 20, &inner),
                compress::Status::kOk);
      EXPECT_EQ(inner, d.Get(Variant::kFrames, seq, cfg).bytes) << VariantName(v) << seq;
    }
  }
  // permessage-deflate of the numbered frames.
  const Payload& ws = d.Get(Variant::kWsDeflate, true, cfg);
  ASSERT_EQ(ws.kind, Payload::kWsMessage);
  std::string inflated;
  ASSERT_EQ(
      compress::Decompress(compress::Codec::kDeflateRaw,
                           {reinterpret_cast<const uint8_t*>(ws.bytes.data()), ws.bytes.size()},
                           1 << 20, &inflated),
      compress::Status::kOk);
  EXPECT_NE(inflated.find(d.Get(Variant::kFrames, true, cfg).bytes), std::string::npos);
}

TEST(HistoryPush, UnnumberedPushesAreTheSameForEveryone) {
  Config cfg;
  const std::string frames = Frames(2, 10);
  PushData none(frames, 2, {0, 0}, "ep");  // the store could not number them
  EXPECT_FALSE(none.numbered());
  EXPECT_EQ(&none.Get(Variant::kFrames, true, cfg), &none.Get(Variant::kFrames, false, cfg));
  Encoding opted;
  opted.seq = true;
  LoopMsg m(std::make_shared<PushData>(frames, 2), 1);
  EXPECT_EQ(BytesFor(&m, opted, cfg).bytes, frames);
}

TEST(HistoryPush, AppendNumberedLeavesOutWhatTheConnectionHad) {
  PushData d(Frames(4, 5), 4, {10, 11, 0, 12}, "ep");
  std::string out;
  EXPECT_EQ(AppendNumbered(d, 11, &out), 2) << "10 and 11 were had; 0 (unnumbered) always goes";
  auto got = Decode(out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, 0);
  EXPECT_EQ(got[0].second.substr(0, 2), "m2");
  EXPECT_EQ(got[1].first, 12);
  out.clear();
  EXPECT_EQ(AppendNumbered(d, 0, &out), 4);
  EXPECT_EQ(AppendNumbered(d, 12, &out), 1);
}

}  // namespace
}  // namespace goim::comet
