// The comet's WebSocket side against RFC 6455 where goim is looser (the close handshake, the
// Close frame that fails a connection), and as goim where it is (goim frames in text messages). The
// server's frames are read off the socket as they are (opcode and payload), not through the goim
// client.
#include <poll.h>
#include <unistd.h>

#include "pkg/protocol/binary.h"
#include "pkg/websocket/frame.h"
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

struct WsFrameIn {
  uint8_t opcode = 0;
  std::string payload;
};

// Reads the server's frames off c's socket until `stop` holds for one of them or the server
// closes (`*eof`), within timeout.
std::vector<WsFrameIn> ReadServerFrames(Client& c,
                                        const std::function<bool(const WsFrameIn&)>& stop,
                                        bool* eof, std::chrono::milliseconds timeout = 5s) {
  std::vector<WsFrameIn> out;
  std::string in;
  *eof = false;
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    websocket::FrameHeader h;
    auto fe = websocket::ParseHeader({reinterpret_cast<const uint8_t*>(in.data()), in.size()},
                                     false, 1 << 20, &h);
    if (fe == websocket::FrameError::kOk && in.size() >= h.header_len + h.payload_len) {
      out.push_back({h.opcode, in.substr(h.header_len, static_cast<size_t>(h.payload_len))});
      in.erase(0, h.header_len + static_cast<size_t>(h.payload_len));
      if (stop(out.back())) return out;
      continue;
    }
    EXPECT_TRUE(fe == websocket::FrameError::kOk || fe == websocket::FrameError::kNeedMore)
        << websocket::FrameErrorName(fe);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{c.fd(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
    char buf[4096];
    ssize_t n = ::read(c.fd(), buf, sizeof buf);
    if (n <= 0) {
      *eof = true;
      return out;
    }
    in.append(buf, static_cast<size_t>(n));
  }
}

// Bytes onto the socket as they are (Client::SendRaw wraps them in a WebSocket frame).
bool WriteRaw(Client& c, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(c.fd(), bytes.data(), bytes.size());
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

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

std::string Code(uint16_t code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
}

// Sends `bytes` and expects a Close frame with `want` as its payload, then the end of the TCP
// connection; the frames before the Close frame are returned.
std::vector<WsFrameIn> ExpectCloseFrame(Client& c, const std::string& bytes,
                                        const std::string& want, const std::string& what) {
  EXPECT_TRUE(WriteRaw(c, bytes)) << what;
  bool eof;
  auto frames = ReadServerFrames(
      c, [](const WsFrameIn& f) { return f.opcode == websocket::kClose; }, &eof);
  EXPECT_FALSE(frames.empty()) << what << ": the connection ended without a Close frame";
  if (frames.empty()) return frames;
  EXPECT_EQ(frames.back().opcode, websocket::kClose) << what;
  EXPECT_EQ(frames.back().payload, want) << what;
  // After its Close frame the server closes the TCP connection (RFC 6455 5.5.1, 7.1.1).
  ReadServerFrames(
      c, [](const WsFrameIn&) { return true; }, &eof);
  EXPECT_TRUE(eof) << what;
  frames.pop_back();
  return frames;
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
