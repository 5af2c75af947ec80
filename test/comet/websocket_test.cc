// The comet's WebSocket side against RFC 6455 where goim is looser (the close handshake, the
// Close frame that fails a connection), and as goim where it is (goim frames in text messages). The
// server's frames are read off the socket as they are (opcode and payload), not through the goim
// client.
#include "pkg/protocol/binary.h"
#include "pkg/websocket/frame.h"
#include "test/comet/comet_fixture.h"
#include "test/comet/ws_frames.h"

namespace goim::testing {
namespace {

class WebsocketTest : public CometFixture {};

// goim reads a frame from a text message as from a binary one; the replies stay binary.
TEST_F(WebsocketTest, TextMessagesCarryGoimFramesAndRepliesStayBinary) {
  auto c = Dial(Transport::kWs);
  std::string auth;
  protocol::AppendFrame(&auth, 1, protocol::kOpAuth, 5, Token(1, "text", "live://t", {1000}));
  ASSERT_TRUE(c->SendWs(auth, websocket::kText));
  std::string hb;
  protocol::AppendFrame(&hb, 1, protocol::kOpHeartbeat, 6, "");
  ASSERT_TRUE(c->SendWs(hb, websocket::kText));
  bool eof;
  auto frames = ReadServerFrames(
      *c,
      [](const WsFrameIn& f) {
        return f.payload.size() >= 16 &&
               protocol::DecodeHeader(reinterpret_cast<const uint8_t*>(f.payload.data())).op ==
                   protocol::kOpHeartbeatReply;
      },
      &eof);
  ASSERT_EQ(frames.size(), 2u) << "eof=" << eof;
  for (const auto& f : frames) EXPECT_EQ(f.opcode, websocket::kBinary);
  auto op = [](const WsFrameIn& f) {
    return protocol::DecodeHeader(reinterpret_cast<const uint8_t*>(f.payload.data()));
  };
  EXPECT_EQ(op(frames[0]).op, protocol::kOpAuthReply);
  EXPECT_EQ(op(frames[0]).seq, 5);
  EXPECT_EQ(op(frames[1]).seq, 6);
}

// RFC 6455 5.5.1: a Close frame is answered with a Close frame (echoing the status code), then
// the server closes. goim closes without one.
TEST_F(WebsocketTest, CloseHandshakeEchoesTheStatusCode) {
  double ws_close = Closed("ws_close");
  struct Case {
    const char* what;
    std::string payload;
    std::string reply;
  } cases[] = {
      {"1000 with a reason", Code(1000) + "bye", Code(1000)},
      {"application code 4001", Code(4001), Code(4001)},
      {"no status code", "", ""},
      {"one byte", "x", Code(1002)},
      {"a code no endpoint may send", Code(1005), Code(1002)},
      {"a reason that is not UTF-8", Code(1000) + "\xC0\xAF", Code(1007)},
  };
  for (auto& c : cases) {
    auto client = Authed(Transport::kWs, 1, "", "live://close");
    ASSERT_TRUE(client);
    ExpectCloseFrame(*client, WsFrame(c.payload, websocket::kClose), c.reply, c.what);
  }
  // Before auth too.
  auto fresh = Dial(Transport::kWs);
  ExpectCloseFrame(*fresh, WsFrame(Code(1001), websocket::kClose), Code(1001), "before auth");
  EXPECT_EQ(Closed("ws_close"), ws_close + std::size(cases) + 1);
}

// Replies queued before the client's Close frame still go out, ahead of the Close frame; the
// session at logic ends.
TEST_F(WebsocketTest, QueuedRepliesGoOutBeforeTheCloseFrame) {
  auto c = Authed(Transport::kWs, 1, "closing", "live://closing");
  std::string bytes;
  for (int seq = 10; seq < 13; ++seq) {
    std::string hb;
    protocol::AppendFrame(&hb, 1, protocol::kOpHeartbeat, seq, "");
    bytes += WsFrame(hb);
  }
  auto before = ExpectCloseFrame(*c, bytes + WsFrame(Code(1000), websocket::kClose), Code(1000),
                                 "close behind heartbeats");
  ASSERT_EQ(before.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto h = protocol::DecodeHeader(reinterpret_cast<const uint8_t*>(before[i].payload.data()));
    EXPECT_EQ(h.op, protocol::kOpHeartbeatReply);
    EXPECT_EQ(h.seq, 10 + i);
  }
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(logic_.mu);
    return std::count(logic_.disconnects.begin(), logic_.disconnects.end(), "closing") == 1;
  }));
}

// RFC 6455 7.1.7: a framing violation fails the connection with a Close frame (1002, or 1009 for
// a message too big), counted as a WebSocket error.
TEST_F(WebsocketTest, ViolationsFailTheConnectionWithACloseFrame) {
  double ws_errors = Metric("goim_comet_ws_errors_total");
  std::string auth;
  protocol::AppendFrame(&auth, 1, protocol::kOpAuth, 1, Token(1, "", "", {}));
  std::string rsv = WsFrame(auth);
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  struct Case {
    const char* what;
    std::string bytes;
    uint16_t code;
  } cases[] = {
      {"unmasked", WsFrame(auth, 2, true, false), 1002},
      {"reserved opcode", WsFrame("x", 3), 1002},
      {"RSV1 without an extension", rsv, 1002},
      {"126-byte ping", WsFrame(std::string(126, 'p'), websocket::kPing), 1002},
      {"continuation first", WsFrame("x", 0), 1002},
      {"over websocket.maxMessageSize", WsFrame(std::string(5000, 'x')), 1009},
  };
  for (auto& c : cases) {
    auto client = Dial(Transport::kWs);
    ExpectCloseFrame(*client, c.bytes, Code(c.code), c.what);
  }
  EXPECT_EQ(Metric("goim_comet_ws_errors_total"), ws_errors + std::size(cases));
}

}  // namespace
}  // namespace goim::testing
