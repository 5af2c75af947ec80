// Every bad input closes (or refuses) only its own connection, is counted, and leaves the other
// connections working.
#include <random>

#include "pkg/protocol/binary.h"
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

class BadInputTest : public CometFixture {
 protected:
  std::string Raw(int32_t pack, int16_t header, int32_t op, const std::string& body) {
    std::string s(16, '\0');
    auto* p = reinterpret_cast<uint8_t*>(s.data());
    protocol::StoreI32(p, pack);
    protocol::StoreI16(p + 4, header);
    protocol::StoreI16(p + 6, 1);
    protocol::StoreI32(p + 8, op);
    protocol::StoreI32(p + 12, 1);
    return s + body;
  }
  // A healthy client, checked after each bad one.
  void ExpectHealthy() {
    ASSERT_TRUE(PushKeys({"healthy"}, 1000, "still here").ok());
    auto f = healthy_->Read();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->body, "still here");
  }
  void SetUp() override {
    CometFixture::SetUp();
    healthy_ = Authed(Transport::kTcp, 100, "healthy", "live://bad");
  }
  std::unique_ptr<Client> healthy_;
};

TEST_F(BadInputTest, MalformedTcpFramesCloseTheConnection) {
  double before = Metric("goim_comet_proto_errors_total");
  struct Case {
    const char* what;
    std::string bytes;
  } cases[] = {
      {"headerLen != 16", Raw(20, 12, 7, "abcd")},
      {"packLen > 4112", Raw(4113, 16, 7, "")},
      {"packLen < 16", Raw(15, 16, 7, "")},
      {"negative packLen", Raw(-1, 16, 7, "")},
  };
  for (auto& c : cases) {
    auto bad = Dial(Transport::kTcp);
    ASSERT_TRUE(bad->SendRaw(c.bytes));
    EXPECT_TRUE(bad->WaitClosed()) << c.what;
    ExpectHealthy();
  }
  // The same after auth.
  auto authed = Authed(Transport::kTcp, 1, "", "");
  ASSERT_TRUE(authed->SendRaw(Raw(20, 17, 2, "abcd")));
  EXPECT_TRUE(authed->WaitClosed());
  EXPECT_EQ(Metric("goim_comet_proto_errors_total"), before + 5);
  ExpectHealthy();
}

TEST_F(BadInputTest, NonJsonAuthIsRefused) {
  double before = Metric("goim_comet_auth_total{result=\"failed\"}");
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    auto bad = Dial(t);
    ASSERT_TRUE(bad->Send(protocol::kOpAuth, 1, "this is not json"));
    EXPECT_TRUE(bad->WaitClosed());
  }
  EXPECT_EQ(Metric("goim_comet_auth_total{result=\"failed\"}"), before + 2);
  ExpectHealthy();
}

TEST_F(BadInputTest, FramesBeforeAuthAreIgnoredThenTooManyClose) {
  double before = Metric("goim_comet_pre_auth_frames_total");
  auto c = Dial(Transport::kTcp);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c->Send(protocol::kOpHeartbeat, i, ""));
  ASSERT_TRUE(c->Auth(Token(1, "", "", {})));  // still fine after a few
  auto flood = Dial(Transport::kTcp);
  for (int i = 0; i < 10; ++i) flood->Send(protocol::kOpHeartbeat, i, "");
  EXPECT_TRUE(flood->WaitClosed());
  EXPECT_GE(Metric("goim_comet_pre_auth_frames_total"), before + 8);
  ExpectHealthy();
}

TEST_F(BadInputTest, MorePipelinedFramesThanTheRingHoldsClose) {
  double before = Closed("ring_full");
  auto c = Authed(Transport::kTcp, 1, "", "");
  std::string burst;
  for (int i = 0; i < 200; ++i) protocol::AppendFrame(&burst, 1, protocol::kOpHeartbeat, i, "");
  ASSERT_TRUE(c->SendRaw(burst));
  EXPECT_TRUE(c->WaitClosed());
  EXPECT_EQ(Closed("ring_full"), before + 1);
  // A burst the ring can hold is fine.
  auto ok = Authed(Transport::kTcp, 2, "", "");
  std::string small;
  for (int i = 0; i < 8; ++i) protocol::AppendFrame(&small, 1, protocol::kOpHeartbeat, i, "");
  ASSERT_TRUE(ok->SendRaw(small));
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(ok->ReadOp(protocol::kOpHeartbeatReply).value_or(testing::Frame{0, 0, -1, ""}).seq,
              i);
  ExpectHealthy();
}

TEST_F(BadInputTest, WebsocketViolations) {
  double ws_errors = Metric("goim_comet_ws_errors_total");
  double proto_errors = Metric("goim_comet_proto_errors_total");
  {  // a message shorter than its packLen
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c->SendWs(Raw(40, 16, 7, "abcd")));
    EXPECT_TRUE(c->WaitClosed());
  }
  {  // shorter than a header
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c->SendWs("short"));
    EXPECT_TRUE(c->WaitClosed());
  }
  {  // a frame larger than websocket.maxMessageSize
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c->SendWs(std::string(5000, 'x')));
    EXPECT_TRUE(c->WaitClosed());
  }
  {  // an unmasked client frame
    auto c = Dial(Transport::kWs);
    std::string f;
    protocol::AppendFrame(&f, 1, protocol::kOpAuth, 1, Token(1, "", "", {}));
    ASSERT_TRUE(c->SendWs(f, 2, true, false));
    EXPECT_TRUE(c->WaitClosed());
  }
  {  // reserved opcode
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c->SendWs("x", 3));
    EXPECT_TRUE(c->WaitClosed());
  }
  EXPECT_EQ(Metric("goim_comet_ws_errors_total"), ws_errors + 3);
  EXPECT_EQ(Metric("goim_comet_proto_errors_total"), proto_errors + 2);
  ExpectHealthy();
}

// One rule for a message that holds no valid goim frame: a protocol error, as on TCP, whether the
// message came in one WebSocket frame or in fragments (a WebSocket error is a framing violation).
TEST_F(BadInputTest, BadGoimFrameInAFragmentedMessageIsAProtocolError) {
  double ws_errors = Metric("goim_comet_ws_errors_total");
  double proto_errors = Metric("goim_comet_proto_errors_total");
  const std::string bad = Raw(40, 16, 7, "abcd");  // shorter than its packLen
  {
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c->SendWs(bad));
    EXPECT_TRUE(c->WaitClosed());
  }
  {
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c->SendWs(bad.substr(0, 9), 2, false));
    ASSERT_TRUE(c->SendWs(bad.substr(9), 0, true));
    EXPECT_TRUE(c->WaitClosed());
  }
  EXPECT_EQ(Metric("goim_comet_proto_errors_total"), proto_errors + 2);
  EXPECT_EQ(Metric("goim_comet_ws_errors_total"), ws_errors);
  ExpectHealthy();
}

TEST_F(BadInputTest, WebsocketControlAndFragmentsWork) {
  auto c = Dial(Transport::kWs);
  std::string auth;
  protocol::AppendFrame(&auth, 1, protocol::kOpAuth, 3, Token(1, "frag", "", {1000}));
  // The auth frame in three fragments, with a ping in between.
  ASSERT_TRUE(c->SendWs(auth.substr(0, 10), 2, false));
  ASSERT_TRUE(c->SendWs("ping!", 9));
  ASSERT_TRUE(c->SendWs(auth.substr(10, 10), 0, false));
  ASSERT_TRUE(c->SendWs(auth.substr(20), 0, true));
  auto reply = c->ReadOp(protocol::kOpAuthReply);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->seq, 3);
  ASSERT_TRUE(c->SendWs("", 8));  // close frame: a close frame back (websocket_test.cc), closed
  EXPECT_TRUE(c->WaitClosed());
}

TEST_F(BadInputTest, BadUpgradeRequests) {
  double before = Metric("goim_comet_ws_rejected_total");
  int status = 0;
  std::string err;
  EXPECT_FALSE(Client::Dial(Addr(Transport::kWs), Transport::kWs, &err, "/other", &status));
  EXPECT_EQ(status, 404);
  // A plain HTTP GET /sub without the upgrade headers.
  auto plain = Client::Dial(Addr(Transport::kTcp).substr(0, 0) + Addr(Transport::kWs),
                            Transport::kTcp, &err);
  ASSERT_TRUE(plain);
  ASSERT_TRUE(plain->SendRaw("GET /sub HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(plain->WaitClosed());
  auto garbage = Client::Dial(Addr(Transport::kWs), Transport::kTcp, &err);
  ASSERT_TRUE(garbage->SendRaw("\x01\x02 not http at all\r\n\r\n"));
  EXPECT_TRUE(garbage->WaitClosed());
  EXPECT_EQ(Metric("goim_comet_ws_rejected_total"), before + 3);
  ExpectHealthy();
}

// Valid client sessions (TCP frames, or a WebSocket upgrade and frames), most of them with random
// bytes changed, cut out or repeated, sent in random pieces: the comet must survive each, keep
// the healthy client served, and be left holding no connection and no read buffer. Seeded, so a
// failure reproduces.
TEST_F(BadInputTest, MutatedSessionsLeaveNothingBehind) {
  std::mt19937 rng(20261124);
  auto uniform = [&](size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng);
  };
  auto frame = [&](int32_t op, const std::string& body) {
    return Raw(static_cast<int32_t>(16 + body.size()), 16, op, body);
  };
  auto mutate = [&](std::string b) {
    for (size_t k = uniform(1, 6); k > 0 && !b.empty(); --k) {
      size_t i = uniform(0, b.size() - 1);
      switch (uniform(0, 3)) {
        case 0:
          b[i] = static_cast<char>(uniform(0, 255));
          break;
        case 1:
          b.erase(i, uniform(1, 8));
          break;
        case 2:
          b.insert(i, uniform(1, 16), static_cast<char>(uniform(0, 255)));
          break;
        default: {
          std::string piece = b.substr(i, uniform(1, 64));
          for (size_t r = uniform(1, 4); r > 0; --r) b.insert(i, piece);
        }
      }
    }
    return b;
  };
  const std::string upgrade =
      "GET /sub HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::vector<std::string> session = {frame(7, Token(1, "", "live://fuzz", {1000})),
                                            frame(2, ""),
                                            frame(12, "live://fuzz2"),
                                            frame(14, "1000,1001"),
                                            frame(16, "1001"),
                                            frame(99, "echo"),
                                            frame(2, "")};
  double proto_errors = Metric("goim_comet_proto_errors_total");
  const double open_before = Metric("goim_comet_connections");  // the healthy client
  for (int n = 0; n < 400; ++n) {
    bool ws = n % 2 == 1;
    std::string bytes = ws ? upgrade : "";
    for (const auto& f : session) bytes += ws ? WsFrame(f) : f;
    if (n % 10 != 0) bytes = mutate(bytes);
    std::string err;
    auto c = Client::Dial(Addr(ws ? Transport::kWs : Transport::kTcp), Transport::kTcp, &err);
    ASSERT_TRUE(c) << "connection " << n << ": " << err;
    for (size_t off = 0; off < bytes.size();) {
      size_t len = uniform(1, 256);
      if (!c->SendRaw(std::string_view(bytes).substr(off, len)))
        break;  // closed by the comet: fine
      off += len;
    }
  }  // each client closes its end here
  EXPECT_GT(Metric("goim_comet_proto_errors_total"),
            proto_errors);  // the mutations did reach the decoder
  ExpectHealthy();
  EXPECT_TRUE(Eventually([&] { return Metric("goim_comet_connections") == open_before; }, 10s))
      << Metric("goim_comet_connections") - open_before
      << " connections left besides the healthy one";
  // A closed channel gives its buffer back when freed, once its cancelled waits have run.
  EXPECT_TRUE(Eventually([&] { return Metric("goim_comet_read_buffers") == 0; }, 10s))
      << Metric("goim_comet_read_buffers") << " read buffers still held";
}

class OriginTest : public CometFixture {
  void Customize(comet::Config& c) override {
    c.websocket.allowedOrigins = {"https://live.example.com"};
  }
};

TEST_F(OriginTest, OnlyListedBrowserOriginsMayUpgrade) {
  double rejected = Metric("goim_comet_ws_origin_rejected_total");
  int status = 0;
  std::string err;
  EXPECT_FALSE(Client::Dial(Addr(Transport::kWs), Transport::kWs, &err, "/sub", &status,
                            "Origin: https://evil.example.net\r\n"));
  EXPECT_EQ(status, 403) << err;
  EXPECT_EQ(Metric("goim_comet_ws_origin_rejected_total"), rejected + 1);
  // A listed origin, and a client without Origin (goim's tools), go through and authenticate.
  auto listed = Client::Dial(Addr(Transport::kWs), Transport::kWs, &err, "/sub", &status,
                             "Origin: https://live.example.com\r\n");
  ASSERT_TRUE(listed) << err;
  EXPECT_TRUE(listed->Auth(Token(1, "", "live://o", {1000})));
  auto plain = Authed(Transport::kWs, 2, "", "live://o");
  ASSERT_TRUE(plain);
  EXPECT_EQ(Metric("goim_comet_ws_origin_rejected_total"), rejected + 1);
}

}  // namespace
}  // namespace goim::testing
