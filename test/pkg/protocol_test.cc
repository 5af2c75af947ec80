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

TEST(Protocol, TruncatedInputFromAStreamThatEnds) {
  std::string f = EncodeFrame({1, 4, 1, "abcdef"});
  for (auto [len, want] :
       {std::pair{size_t(5), Error::kTruncatedHeader}, {size_t(19), Error::kTruncatedBody}}) {
    std::string data = f.substr(0, len);
    size_t pos = 0;
    std::vector<uint8_t> mem(64);
    bufio::Reader r({mem.data(), mem.size()}, [&](uint8_t* dst, size_t n) -> ssize_t {
      size_t k = std::min(n, data.size() - pos);
      std::memcpy(dst, data.data() + pos, k);
      pos += k;
      return static_cast<ssize_t>(k);
    });
    Frame p;
    EXPECT_EQ(ReadTcp(r, &p), want) << len;
  }
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

TEST(Protocol, HeartbeatReplyCarriesOnlineCount) {
  uint8_t mem[64];
  bufio::Writer w({mem, sizeof(mem)});
  Frame req{1, kOpHeartbeat, 42, ""};
  ASSERT_EQ(WriteTcpHeart(w, req, 1234), bufio::Status::kOk);
  ASSERT_EQ(w.Buffered(), 20u);
  Header h = DecodeHeader(mem);
  EXPECT_EQ(h.pack_len, 20);
  EXPECT_EQ(h.header_len, 16);
  EXPECT_EQ(h.op, kOpHeartbeatReply);
  EXPECT_EQ(h.seq, 42);
  EXPECT_EQ(LoadI32(mem + 16), 1234);
}

TEST(Protocol, OpRawIsWrittenRawOnTcpAndWrappedOnWebsocket) {
  std::string inner = EncodeFrame({1, 1000, 0, "a"}) + EncodeFrame({1, 1001, 0, "bc"});
  Frame raw{1, kOpRaw, 0, inner};
  uint8_t mem[256];
  bufio::Writer tcp({mem, sizeof(mem)});
  ASSERT_EQ(WriteTcp(tcp, raw), bufio::Status::kOk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mem), tcp.Buffered()), inner);
  bufio::Writer ws({mem, sizeof(mem)});
  ASSERT_EQ(WriteWebsocket(ws, raw), bufio::Status::kOk);
  std::string got(reinterpret_cast<const char*>(mem), ws.Buffered());
  EXPECT_EQ(got, EncodeFrame(raw));
  EXPECT_EQ(DecodeHeader(mem).op, kOpRaw);
  // A non-raw push is one frame on both transports.
  bufio::Writer one({mem, sizeof(mem)});
  ASSERT_EQ(WriteTcp(one, {1, 1000, 0, "x"}), bufio::Status::kOk);
  EXPECT_EQ(one.Buffered(), 17u);
}

TEST(Protocol, ErrorsHaveDistinctNames) {
  std::vector<std::string> names;
  for (int e = 0; e <= static_cast<int>(Error::kIo); ++e) {
    std::string n = ErrorName(static_cast<Error>(e));
    for (const auto& seen : names) EXPECT_NE(seen, n);
    names.push_back(n);
  }
}

}  // namespace
}  // namespace goim::protocol
