// permessage-deflate at the comet (RFC 7692): what the 101 answers, which pushes go out
// compressed (RSV1) and which not, compressed client messages, and the bad ones: a bomb closes
// with 1009, corrupt or truncated data with 1007, each counted; an invalid offer upgrades without
// the extension.
#include "pkg/compress/compress.h"
#include "pkg/protocol/binary.h"
#include "test/comet/comet_fixture.h"
#include "test/comet/ws_frames.h"

namespace goim::testing {
namespace {

constexpr const char* kAgreed =
    "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; "
    "client_no_context_takeover";

std::string Danmaku(int n, int from = 0) {
  std::string out;
  for (int i = from; i < from + n; ++i)
    protocol::AppendFrame(&out, 1, 1000, 0,
                          "{\"mid\":" + std::to_string(i * 31) + ",\"text\":\"danmaku " +
                              std::to_string(i) + " for the deflate test\"}");
  return out;
}

std::string Deflated(const std::string& s) {
  std::string z;
  EXPECT_TRUE(compress::Compress(compress::Codec::kDeflateRaw, s, &z));
  return z;
}

std::string GoimFrame(int32_t op, int32_t seq, const std::string& body) {
  std::string f;
  protocol::AppendFrame(&f, 1, op, seq, body);
  return f;
}

class WsDeflateTest : public CometFixture {
 protected:
  std::unique_ptr<Client> Offer(const std::string& offer, std::string* err = nullptr) {
    std::string e;
    auto c = Client::Dial(Addr(Transport::kWs), Transport::kWs, &e, "/sub", nullptr,
                          "Sec-WebSocket-Extensions: " + offer + "\r\n");
    EXPECT_TRUE(c) << e;
    if (err) *err = e;
    return c;
  }
  static double Deflate(const char* result) {
    return Metric(std::string("goim_comet_ws_deflate_total{result=\"") + result + "\"}");
  }
  static double Inflate(const char* error) {
    return Metric(std::string("goim_comet_ws_inflate_errors_total{error=\"") + error + "\"}");
  }
};

TEST_F(WsDeflateTest, BatchesOverTheThresholdAreCompressedSmallOnesAreNot) {
  const double accepted = Deflate("accepted");
  auto c = Offer("permessage-deflate; client_max_window_bits");  // Chromium's offer
  ASSERT_TRUE(c);
  EXPECT_NE(c->response_head().find(std::string(kAgreed) + "\r\n"), std::string::npos)
      << c->response_head();
  EXPECT_EQ(Deflate("accepted"), accepted + 1);
  ASSERT_TRUE(c->Auth(Token(1, "pmd", "live://pmd", {1000})));
  ASSERT_TRUE(Room("live://pmd", Danmaku(1)).ok());      // under websocket.deflateThreshold
  ASSERT_TRUE(Room("live://pmd", Danmaku(20, 1)).ok());  // over it
  bool eof;
  auto got = ReadServerFrames(
      *c, [n = 0](const WsFrameIn&) mutable { return ++n == 2; }, &eof);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].rsv1);
  EXPECT_TRUE(got[1].rsv1);
  // The compressed message inflates to what an uncompressed connection gets: OpRaw + frames.
  std::string inflated;
  ASSERT_EQ(compress::Decompress(
                compress::Codec::kDeflateRaw,
                {reinterpret_cast<const uint8_t*>(got[1].payload.data()), got[1].payload.size()},
                1 << 20, &inflated),
            compress::Status::kOk);
  const std::string frames = Danmaku(20, 1);
  ASSERT_EQ(inflated.size(), frames.size() + 16);
  protocol::Header h = protocol::DecodeHeader(reinterpret_cast<const uint8_t*>(inflated.data()));
  EXPECT_EQ(h.op, protocol::kOpRaw);
  EXPECT_EQ(h.ver, 1);
  EXPECT_EQ(inflated.substr(16), frames);
  EXPECT_LT(got[1].payload.size() * 3, inflated.size());
}

// Browsers compress what they send too: the auth and heartbeat frames arrive deflated.
TEST_F(WsDeflateTest, CompressedClientMessagesAreRead) {
  auto c = Offer("permessage-deflate");
  ASSERT_TRUE(c && c->deflate());
  ASSERT_TRUE(c->SendWs(Deflated(GoimFrame(protocol::kOpAuth, 1, Token(1, "", "live://in", {}))),
                        websocket::kBinary, true, true, true));
  auto f = c->ReadOp(protocol::kOpAuthReply);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 1);
  // Fragmented: RSV1 on the first frame only.
  const std::string hb = Deflated(GoimFrame(protocol::kOpHeartbeat, 2, ""));
  ASSERT_TRUE(c->SendWs(hb.substr(0, 3), websocket::kBinary, false, true, true));
  ASSERT_TRUE(c->SendWs(hb.substr(3), websocket::kContinuation, true, true, false));
  f = c->ReadOp(protocol::kOpHeartbeatReply);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 2);
}

TEST_F(WsDeflateTest, BadCompressedMessagesCloseWithACodeAndACounter) {
  const double too_large = Inflate("too_large"), corrupt = Inflate("corrupt"),
               truncated = Inflate("truncated");
  const std::string auth = GoimFrame(protocol::kOpAuth, 1, Token(1, "", "live://bad", {}));
  const std::string hb = Deflated(GoimFrame(protocol::kOpHeartbeat, 2, ""));
  struct Case {
    const char* what;
    std::string payload;
    uint16_t code;
  } cases[] = {
      // 1 MB of zeros in about 1 KB: over websocket.maxInflatedSize (4112).
      {"a decompression bomb", Deflated(std::string(1 << 20, '\0')), 1009},
      {"a frame over maxInflatedSize",
       Deflated(GoimFrame(protocol::kOpAuth, 1, std::string(4200, 'a'))), 1009},
      {"not deflate data", std::string("\xff\xff\xff\xff", 4), 1007},
      {"cut short", hb.substr(0, hb.size() / 2), 1007},
  };
  for (const auto& k : cases) {
    ASSERT_LT(k.payload.size(), 4112u) << k.what;  // within websocket.maxMessageSize on the wire
    auto c = Offer("permessage-deflate");
    ASSERT_TRUE(c);
    ExpectCloseFrame(
        *c, WsFrame(Deflated(auth), 2, true, true, true) + WsFrame(k.payload, 2, true, true, true),
        Code(k.code), k.what);
  }
  EXPECT_EQ(Inflate("too_large"), too_large + 2);
  EXPECT_EQ(Inflate("corrupt"), corrupt + 1);
  EXPECT_EQ(Inflate("truncated"), truncated + 1);
  // RSV1 on a control frame fails the connection as any framing violation (1002).
  auto c = Offer("permessage-deflate");
  ExpectCloseFrame(*c, WsFrame("", websocket::kPing, true, true, true), Code(1002), "RSV1 ping");
}

// RFC 7692 7.1: an invalid offer is declined: the 101 carries no extension, the connection works.
TEST_F(WsDeflateTest, InvalidOffersUpgradeWithoutTheExtension) {
  const double declined = Deflate("declined");
  for (const char* offer :
       {"permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; server_max_window_bits", "permessage-deflate; foo=bar",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover"}) {
    auto c = Offer(offer);
    ASSERT_TRUE(c) << offer;
    EXPECT_EQ(c->response_head().find("Sec-WebSocket-Extensions"), std::string::npos) << offer;
    ASSERT_TRUE(c->Auth(Token(1, "", "live://declined", {}))) << offer;
  }
  EXPECT_EQ(Deflate("declined"), declined + 5);
  // Without any offer the 101 is goim's, byte for byte (the client checks the accept key).
  auto plain = Dial(Transport::kWs);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->response_head(),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
            "Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

// server_max_window_bits=9: compressed messages must fit 512 bytes, longer ones go uncompressed.
TEST_F(WsDeflateTest, ASmallServerWindowGetsOnlyMessagesThatFitIt) {
  auto c = Offer("permessage-deflate; server_max_window_bits=9");
  ASSERT_TRUE(c);
  EXPECT_NE(c->response_head().find(std::string(kAgreed) + "; server_max_window_bits=9\r\n"),
            std::string::npos)
      << c->response_head();
  ASSERT_TRUE(c->Auth(Token(1, "", "live://window", {1000})));
  const std::string fits = Danmaku(6), too_long = Danmaku(20, 6);
  ASSERT_GT(fits.size() + 16, 256u);
  ASSERT_LE(fits.size() + 16, 512u);
  ASSERT_GT(too_long.size() + 16, 512u);
  ASSERT_TRUE(Room("live://window", fits).ok());
  ASSERT_TRUE(Room("live://window", too_long).ok());
  bool eof;
  auto got = ReadServerFrames(
      *c, [n = 0](const WsFrameIn&) mutable { return ++n == 2; }, &eof);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].rsv1);
  EXPECT_FALSE(got[1].rsv1);
  EXPECT_EQ(got[1].payload.substr(16), too_long);
}

class WsDeflateOffTest : public WsDeflateTest {
  void Customize(comet::Config& c) override { c.websocket.deflate = false; }
};

TEST_F(WsDeflateOffTest, OffersAreIgnoredWhenDeflateIsOff) {
  auto c = Offer("permessage-deflate");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->deflate());
  ASSERT_TRUE(c->Auth(Token(1, "", "live://off", {1000})));
  ASSERT_TRUE(Room("live://off", Danmaku(20)).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c->Read()) << i;
  EXPECT_EQ(c->compressed_messages(), 0);
}

}  // namespace
}  // namespace goim::testing
