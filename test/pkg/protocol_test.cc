#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/protocol/binary.h"
#include "pkg/protocol/frame.h"

namespace goim::protocol {
namespace {

std::string RawFrame(int32_t pack, int16_t header, int16_t ver, int32_t op, int32_t seq,
                     std::string body) {
  std::string s(16, '\0');
  auto* p = reinterpret_cast<uint8_t*>(s.data());
  StoreI32(p, pack);
  StoreI16(p + 4, header);
  StoreI16(p + 6, ver);
  StoreI32(p + 8, op);
  StoreI32(p + 12, seq);
  return s + body;
}

std::string EncodeFrame(const Frame& p) {
  std::string out;
  AppendFrame(&out, p.ver, p.op, p.seq, p.body);
  return out;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A sourceless reader holding `data` (as the comet's event loop feeds it).
struct Fed {
  std::vector<uint8_t> mem = std::vector<uint8_t>(8192);
  bufio::Reader r{{mem.data(), mem.size()}};
  explicit Fed(const std::string& data) {
    auto tail = r.WritableTail();
    std::memcpy(tail.data(), data.data(), data.size());
    r.Commit(data.size());
  }
};

TEST(Protocol, OpCodesAreGoimV2) {
  EXPECT_EQ(kOpHandshake, 0);
  EXPECT_EQ(kOpHeartbeat, 2);
  EXPECT_EQ(kOpHeartbeatReply, 3);
  EXPECT_EQ(kOpSendMsg, 4);
  EXPECT_EQ(kOpAuth, 7);
  EXPECT_EQ(kOpAuthReply, 8);
  EXPECT_EQ(kOpRaw, 9);
  EXPECT_EQ(kOpChangeRoom, 12);
  EXPECT_EQ(kOpSub, 14);
  EXPECT_EQ(kOpUnsubReply, 17);
  EXPECT_EQ(kMaxPackSize, 4112);
}

TEST(Protocol, EncodeIsBigEndianGoimLayout) {
  Frame p{1, kOpAuth, 7, "{}"};
  std::string f = EncodeFrame(p);
  const std::string want("\x00\x00\x00\x12\x00\x10\x00\x01\x00\x00\x00\x07\x00\x00\x00\x07{}", 18);
  EXPECT_EQ(f, want);
}

TEST(Protocol, TcpRoundTripThroughReader) {
  std::string data = EncodeFrame({1, 2, 3, ""}) + EncodeFrame({1, 1000, 9, "hello"});
  Fed fed(data);
  Frame p;
  ASSERT_EQ(ReadTcp(fed.r, &p), Error::kOk);
  EXPECT_EQ(p.op, 2);
  EXPECT_EQ(p.seq, 3);
  EXPECT_TRUE(p.body.empty());
  ASSERT_EQ(ReadTcp(fed.r, &p), Error::kOk);
  EXPECT_EQ(p.ver, 1);
  EXPECT_EQ(p.op, 1000);
  EXPECT_EQ(p.seq, 9);
  EXPECT_EQ(p.body, "hello");
  EXPECT_EQ(ReadTcp(fed.r, &p), Error::kNeedMore);
}

TEST(Protocol, PartialFrameIsNeedMoreAndConsumesNothing) {
  std::string f = EncodeFrame({1, 4, 1, "abcdef"});
  Fed fed(f.substr(0, 10));
  Frame p;
  EXPECT_EQ(ReadTcp(fed.r, &p), Error::kNeedMore);
  Fed fed2(f.substr(0, 18));
  EXPECT_EQ(ReadTcp(fed2.r, &p), Error::kNeedMore);
  EXPECT_EQ(fed2.r.Buffered(), 18u);
}

TEST(Protocol, BadHeaderLen) {
  Fed fed(RawFrame(20, 12, 1, 2, 0, "abcd"));
  Frame p;
  EXPECT_EQ(ReadTcp(fed.r, &p), Error::kHeaderLen);
}

TEST(Protocol, PackLenAboveMax) {
  Fed fed(RawFrame(4113, 16, 1, 4, 0, ""));
  Frame p;
  EXPECT_EQ(ReadTcp(fed.r, &p), Error::kPackLenTooLarge);
}

TEST(Protocol, PackLenBelowHeaderOrNegative) {
  Frame p;
  Fed small(RawFrame(15, 16, 1, 4, 0, ""));
  EXPECT_EQ(ReadTcp(small.r, &p), Error::kPackLenTooSmall);
  Fed neg(RawFrame(-1, 16, 1, 4, 0, ""));
  EXPECT_EQ(ReadTcp(neg.r, &p), Error::kPackLenTooSmall);
  Fed min(RawFrame(INT32_MIN, 16, 1, 4, 0, ""));
  EXPECT_EQ(ReadTcp(min.r, &p), Error::kPackLenTooSmall);
}

TEST(Protocol, BodyExactlyAtMaxIsAccepted) {
  std::string body(kMaxBodySize, 'x');
  Fed fed(EncodeFrame({1, 4, 0, body}));
  Frame p;
  ASSERT_EQ(ReadTcp(fed.r, &p), Error::kOk);
  EXPECT_EQ(p.body.size(), 4096u);
  Fed over(EncodeFrame({1, 4, 0, body + "y"}));
  EXPECT_EQ(ReadTcp(over.r, &p), Error::kPackLenTooLarge);
}

TEST(Protocol, FrameLargerThanTheReadBuffer) {
  std::vector<uint8_t> mem(64);
  bufio::Reader r({mem.data(), mem.size()});
  std::string f = EncodeFrame({1, 4, 1, std::string(100, 'x')});
  auto tail = r.WritableTail();
  std::memcpy(tail.data(), f.data(), 16);
  r.Commit(16);
  Frame p;
  EXPECT_EQ(ReadTcp(r, &p), Error::kOverBuffer);
}

TEST(Protocol, TruncatedInputInABuffer) {
  std::string f = EncodeFrame({1, 4, 1, "abcdef"});
  Frame p;
  size_t used;
  EXPECT_EQ(DecodeFrame(Bytes(f.substr(0, 7)), &p, &used), Error::kTruncatedHeader);
  EXPECT_EQ(DecodeFrame(Bytes(f.substr(0, 17)), &p, &used), Error::kTruncatedBody);
  ASSERT_EQ(DecodeFrame(Bytes(f + "junk"), &p, &used), Error::kOk);
  EXPECT_EQ(used, f.size());
}

TEST(Protocol, WebsocketPayloadRules) {
  Frame p;
  EXPECT_EQ(ReadWebsocket(Bytes(std::string(15, '\0')), &p), Error::kWsShort);
  // packLen says 30 but the message holds 20 bytes: goim would slice out of range.
  EXPECT_EQ(ReadWebsocket(Bytes(RawFrame(30, 16, 1, 4, 0, "abcd")), &p), Error::kWsPackLen);
  EXPECT_EQ(ReadWebsocket(Bytes(RawFrame(20, 15, 1, 4, 0, "abcd")), &p), Error::kHeaderLen);
  EXPECT_EQ(ReadWebsocket(Bytes(RawFrame(-5, 16, 1, 4, 0, "")), &p), Error::kPackLenTooSmall);
  EXPECT_EQ(ReadWebsocket(Bytes(RawFrame(5000, 16, 1, 4, 0, std::string(4984, 'x'))), &p),
            Error::kPackLenTooLarge);
  // Trailing bytes past packLen are ignored, as goim.
  ASSERT_EQ(ReadWebsocket(Bytes(RawFrame(20, 16, 1, 7, 5, "abcd") + "zz"), &p), Error::kOk);
  EXPECT_EQ(p.op, 7);
  EXPECT_EQ(p.seq, 5);
  EXPECT_EQ(p.body, "abcd");
}

// The comet's heartbeat reply: EncodeHeader (op 3, the request's ver and seq) and the online count
// at kHeartOffset, 20 bytes as goim's WriteTCPHeart.
TEST(Protocol, HeartbeatReplyCarriesOnlineCount) {
  uint8_t mem[kRawHeaderSize + kHeartSize];
  EncodeHeader(mem, kRawHeaderSize + kHeartSize, 1, kOpHeartbeatReply, 42);
  StoreI32(mem + kHeartOffset, 1234);
  ASSERT_EQ(sizeof(mem), 20u);
  Header h = DecodeHeader(mem);
  EXPECT_EQ(h.pack_len, 20);
  EXPECT_EQ(h.header_len, 16);
  EXPECT_EQ(h.op, kOpHeartbeatReply);
  EXPECT_EQ(h.seq, 42);
  EXPECT_EQ(LoadI32(mem + 16), 1234);
}

TEST(Protocol, ErrorsHaveDistinctNames) {
  std::vector<std::string> names;
  for (int e = 0; e <= static_cast<int>(Error::kOverBuffer); ++e) {
    std::string n = ErrorName(static_cast<Error>(e));
    for (const auto& seen : names) EXPECT_NE(seen, n);
    names.push_back(n);
  }
}

}  // namespace
}  // namespace goim::protocol
