// WSS: the same WebSocket protocol behind TLS (websocket.tlsOpen), with a throwaway self-signed
// certificate made by the openssl command (the test is skipped, saying so, without it).
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <boost/asio/ssl.hpp>

#include "comet/stats.h"
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

namespace fs = std::filesystem;
namespace ssl = boost::asio::ssl;

class WssTest : public CometFixture {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("goim-wss-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
        (*dir_ / "key.pem").string() + " -out " + (*dir_ / "cert.pem").string() +
        " >/dev/null 2>&1";
    have_cert_ = std::system(cmd.c_str()) == 0;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    if (!have_cert_) GTEST_SKIP() << "the openssl command could not make a test certificate";
    CometFixture::SetUp();
  }
  void Customize(comet::Config& cfg) override {
    cfg.websocket.tlsOpen = true;
    cfg.websocket.tlsBind = {"127.0.0.1:0"};
    cfg.websocket.certFile = (*dir_ / "cert.pem").string();
    cfg.websocket.privateFile = (*dir_ / "key.pem").string();
  }

  static std::string GoimFrame(int32_t op, int32_t seq, const std::string& body) {
    std::string f;
    protocol::AppendFrame(&f, 1, op, seq, body);
    return f;
  }

  static inline fs::path* dir_ = nullptr;
  static inline bool have_cert_ = false;
};

// Reads one unmasked server message; returns its payload.
std::string ReadMessage(ssl::stream<asio::ip::tcp::socket>& s, std::string& in) {
  auto need = [&](size_t n) {
    while (in.size() < n) {
      char buf[4096];
      size_t got = s.read_some(asio::buffer(buf));
      in.append(buf, got);
    }
  };
  need(2);
  size_t len = static_cast<uint8_t>(in[1]) & 0x7f, at = 2;
  if (len == 126) {
    need(4);
    len = (static_cast<uint8_t>(in[2]) << 8) | static_cast<uint8_t>(in[3]);
    at = 4;
  }
  need(at + len);
  std::string payload = in.substr(at, len);
  in.erase(0, at + len);
  return payload;
}

int32_t OpOf(const std::string& goim_frame) {
  protocol::Frame f;
  size_t used = 0;
  std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(goim_frame.data()),
                              goim_frame.size());
  return protocol::DecodeFrame(in, &f, &used) == protocol::Error::kOk ? f.op : -1;
}

TEST_F(WssTest, UpgradeAuthHeartbeatAndRoomPushOverTls) {
  ASSERT_GT(server_->wss_port(), 0);
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  ssl::stream<asio::ip::tcp::socket> s(io, ctx);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->wss_port()});
  s.handshake(ssl::stream_base::client);
  // The auth frame rides in the same write as the upgrade request.
  std::string req =
      "GET /sub HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
      WsFrame(GoimFrame(protocol::kOpAuth, 1, Token(7, "wss-key", "live://9", {1000})));
  asio::write(s, asio::buffer(req));
  std::string in;
  while (in.find("\r\n\r\n") == std::string::npos) {
    char buf[4096];
    in.append(buf, s.read_some(asio::buffer(buf)));
  }
  EXPECT_EQ(in.substr(0, in.find("\r\n")), "HTTP/1.1 101 Switching Protocols");
  EXPECT_NE(in.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << in;
  in.erase(0, in.find("\r\n\r\n") + 4);
  EXPECT_EQ(OpOf(ReadMessage(s, in)), protocol::kOpAuthReply);

  asio::write(s, asio::buffer(WsFrame(GoimFrame(protocol::kOpHeartbeat, 2, ""))));
  EXPECT_EQ(OpOf(ReadMessage(s, in)), protocol::kOpHeartbeatReply);

  ASSERT_TRUE(Room("live://9", Frames(1000, {"over tls"})).ok());
  std::string raw = ReadMessage(s, in);
  EXPECT_EQ(OpOf(raw), protocol::kOpRaw);
  EXPECT_NE(raw.find("over tls"), std::string::npos);
  // Idle, the connection holds no read buffer (it waits on the socket, not in a posted TLS read).
  EXPECT_TRUE(Eventually([] { return comet::Stats::Get().read_buffers->Value() == 0; }));
  // And it still reads after the wait: six heartbeats, each its own TLS record, sent at once so
  // several records arrive in one socket read (none may be left undecrypted behind a short read).
  for (int i = 0; i < 6; ++i)
    asio::write(s, asio::buffer(WsFrame(GoimFrame(protocol::kOpHeartbeat, 10 + i, ""))));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(OpOf(ReadMessage(s, in)), protocol::kOpHeartbeatReply) << i;
}

}  // namespace
}  // namespace goim::testing
