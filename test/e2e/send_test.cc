// The viewers' send path end to end, against goim-standalone processes: clients send danmaku as
// op 4 over their own TCP or WebSocket connection; logic applies the send policy and the backend
// hooks (an in-test HTTP backend on 127.0.0.1) and pushes to the sender's room through the queue
// and job. What must not arrive is shown by a marker pushed after it into the same room (one room
// is one queue partition: in order), never by waiting.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/json/json.h"
#include "pkg/net/http_client.h"
#include "pkg/protocol/frame.h"
#include "pkg/protocol/operation.h"
#include "test/e2e/cluster.h"
#include "test/support/goim_client.h"
#include "test/support/http_backend.h"

namespace goim::e2e {
namespace {

using testing::Client;
using testing::Token;
using Transport = Client::Transport;

constexpr int32_t kOpSend = protocol::kOpSendMsg;
const std::string kRateLimited = R"({"code":-429,"message":"too many sends, slow down"})";

// A standalone whose rate limit never refills within a test (burst 5, one token in 1000 s), so
// the count of accepted sends does not depend on how fast the machine is.
const char kSendYaml[] = "  send: {rate: {burst: 5, perSecond: 0.001}}\n";

class SendBase : public ::testing::Test {
 protected:
  std::unique_ptr<Client> Dial(Transport t) {
    const CometEndpoints& c = cluster_->comets[0];
    std::string err;
    auto cl = Client::Dial(t == Transport::kTcp ? c.tcp : c.ws, t, &err);
    EXPECT_TRUE(cl) << err;
    return cl;
  }
  std::unique_ptr<Client> Join(Transport t, const std::string& token) {
    auto cl = Dial(t);
    if (cl) {
      EXPECT_TRUE(cl->Auth(token, 10s)) << token;
    }
    return cl;
  }
  // The echo of a send: its body ("" = accepted), or "<nothing>".
  static std::string SendAndEcho(Client& c, int32_t seq, const std::string& body) {
    EXPECT_TRUE(c.Send(kOpSend, seq, body));
    auto f = c.ReadOp(kOpSend, 10s);
    if (!f) return "<nothing>";
    EXPECT_EQ(f->seq, seq) << "the echo carries the client's seq";
    return f->body;
  }
  // Pushes a marker into room ("type://id") through the HTTP API.
  void Marker(const std::string& room, const std::string& text) {
    size_t sep = room.find("://");
    net::HttpClient http(cluster_->http);
    auto r = http.Post("/goim/push/room?operation=1000&type=" + room.substr(0, sep) +
                           "&room=" + room.substr(sep + 3),
                       text);
    ASSERT_EQ(r.body, R"({"code":0,"message":""})");
  }
  double Metric(const std::string& name) {
    double v = MetricAt(cluster_->http, name);
    return v < 0 ? 0 : v;
  }
  std::string Room(const std::string& what) const {
    return "live://" + what + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  Cluster* cluster_ = nullptr;
};

class SendE2E : public SendBase {
 protected:
  static void SetUpTestSuite() {
    standalone_ = MakeStandalone(kSendYaml).release();
    standalone_->Start();
  }
  static void TearDownTestSuite() {
    delete standalone_;
    standalone_ = nullptr;
  }
  void SetUp() override { cluster_ = standalone_; }
  static Cluster* standalone_;
};
Cluster* SendE2E::standalone_ = nullptr;

TEST_F(SendE2E, TwoClientsInARoomSeeTheSendersTextAndAnotherRoomNothing) {
  std::string room = Room("r"), other = Room("other");
  auto a = Join(Transport::kTcp, Token(101, "", room, {1000}));
  auto b = Join(Transport::kWs, Token(102, "", room, {1000}));
  auto c = Join(Transport::kTcp, Token(103, "", other, {1000}));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(SendAndEcho(*a, 5, "hello from a"), "") << "accepted: goim's empty echo";
  EXPECT_EQ(a->ReadOpBody(1000, 10s), "hello from a");
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "hello from a");
  // c's next danmaku is its own: a's never reached the other room.
  EXPECT_EQ(SendAndEcho(*c, 6, "c's own"), "");
  EXPECT_EQ(c->ReadOpBody(1000, 10s), "c's own");
}

TEST_F(SendE2E, TheSixthSendFromOneMidIsRefusedAndNotPushed) {
  std::string room = Room("rate");
  auto a = Join(Transport::kTcp, Token(201, "", room, {1000}));
  auto b = Join(Transport::kWs, Token(202, "", room, {1000}));
  ASSERT_TRUE(a && b);
  const double refused = Metric("goim_logic_send_refused_total{reason=\"rate\"}");
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(SendAndEcho(*a, i, "m" + std::to_string(i)), "") << i;
  EXPECT_EQ(SendAndEcho(*a, 6, "m6"), kRateLimited);
  Marker(room, "marker");
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(b->ReadOpBody(1000, 10s), "m" + std::to_string(i));
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "marker") << "the refused send was pushed";
  EXPECT_EQ(Metric("goim_logic_send_refused_total{reason=\"rate\"}"), refused + 1);
  // Another connection of the same mid shares the limit.
  auto a2 = Join(Transport::kWs, Token(201, "", room, {1000}));
  ASSERT_TRUE(a2);
  EXPECT_EQ(SendAndEcho(*a2, 1, "m7"), kRateLimited);
}

TEST_F(SendE2E, BadBodiesGetADefinedAnswerAndAreNotPushed) {
  std::string room = Room("bad");
  auto a = Join(Transport::kWs, Token(301, "", room, {1000}));
  auto b = Join(Transport::kTcp, Token(302, "", room, {1000}));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(SendAndEcho(*a, 1, ""), R"({"code":-400,"message":"empty body"})");
  EXPECT_EQ(SendAndEcho(*a, 2, std::string(201, 'x')),
            R"({"code":-413,"message":"body over the limit of 200 bytes"})");
  EXPECT_EQ(SendAndEcho(*a, 3, "bad \xff utf-8"), "");  // repaired, not refused
  Marker(room, "marker");
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "bad \xef\xbf\xbd utf-8");
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "marker");
  // Not in a room: nowhere to send.
  auto lone = Join(Transport::kTcp, Token(303, "", "", {1000}));
  ASSERT_TRUE(lone);
  EXPECT_EQ(SendAndEcho(*lone, 1, "anyone?"), R"({"code":-400,"message":"not in a room"})");
}

// The comet ignores (and counts) frames before auth, as goim; a send there reaches nobody and
// gets no echo, and the connection authenticates normally after it.
TEST_F(SendE2E, ASendBeforeAuthIsIgnored) {
  std::string room = Room("early");
  auto b = Join(Transport::kTcp, Token(401, "", room, {1000}));
  auto a = Dial(Transport::kWs);
  ASSERT_TRUE(a && b);
  const double before = Metric("goim_comet_pre_auth_frames_total");
  ASSERT_TRUE(a->Send(kOpSend, 1, "too early"));
  ASSERT_TRUE(a->Auth(Token(402, "", room, {1000}), 10s));
  EXPECT_EQ(Metric("goim_comet_pre_auth_frames_total"), before + 1);
  EXPECT_EQ(SendAndEcho(*a, 2, "after auth"), "");
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "after auth") << "the early send was pushed";
  auto f = a->Read(10s);  // a's own danmaku; before it, no echo of seq 1
  ASSERT_TRUE(f);
  EXPECT_EQ(f->op, 1000);
  EXPECT_EQ(f->body, "after auth");
}

// One client pipelines 300 sends in one write. The rate limit holds (5 accepted), every send is
// answered in order, and the comet keeps serving another client meanwhile: its heartbeats are
// answered while the flood is worked through.
TEST_F(SendE2E, AFloodIsRateLimitedAndOtherClientsAreStillServed) {
  std::string room = Room("flood");
  auto flooder = Join(Transport::kTcp, Token(501, "", room, {1000}));
  auto other = Join(Transport::kTcp, Token(502, "", room, {1000}));
  ASSERT_TRUE(flooder && other);
  const int n = 300;
  std::string burst;
  for (int i = 1; i <= n; ++i)
    protocol::AppendFrame(&burst, 1, kOpSend, i, "f" + std::to_string(i));
  ASSERT_TRUE(flooder->SendRaw(burst));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(other->Heartbeat(100 + i, 10s)) << "heartbeat " << i;
  int accepted = 0, limited = 0;
  for (int i = 1; i <= n; ++i) {
    auto f = flooder->ReadOp(kOpSend, 20s);
    ASSERT_TRUE(f) << "echo " << i;
    ASSERT_EQ(f->seq, i) << "echoes in order";
    if (f->body.empty())
      ++accepted;
    else if (f->body == kRateLimited)
      ++limited;
  }
  EXPECT_EQ(accepted, 5);
  EXPECT_EQ(limited, n - 5);
  Marker(room, "marker");
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(other->ReadOpBody(1000, 10s), "f" + std::to_string(i));
  EXPECT_EQ(other->ReadOpBody(1000, 10s), "marker");
}

// With goim's comet-side behaviour kept: the echo for op 4 with send off is goim's empty one, and
// nothing is pushed. (Kafka clusters leave send off by default; here a standalone with it off.)
class SendOffE2E : public SendBase {
 protected:
  void SetUp() override {
    off_ = MakeStandalone("  send: {enabled: false}\n");
    off_->Start();
    cluster_ = off_.get();
  }
  std::unique_ptr<Cluster> off_;
};

TEST_F(SendOffE2E, Op4IsGoimsReceive) {
  std::string room = Room("off");
  auto a = Join(Transport::kTcp, Token(601, "", room, {1000}));
  ASSERT_TRUE(a);
  EXPECT_EQ(SendAndEcho(*a, 9, "not a danmaku"), "");
  Marker(room, "marker");
  EXPECT_EQ(a->ReadOpBody(1000, 10s), "marker");
}

// Both hooks against one test backend. Tokens are "user:<mid>:<room>" (accepted with that mid
// and room), "refuse" (refused) or anything else (garbage answer: the connect refused).
class HookE2E : public SendBase {
 protected:
  void SetUp() override {
    backend_.SetHandler([](const net::HttpRequest& req) -> std::optional<net::HttpResponse> {
      json::Json in;
      std::string err;
      if (!json::Parse(req.body, &in, &err)) return testing::HttpBackend::Json("{}", 400);
      if (req.path == "/connect") {
        std::string token = in.value("token", "");
        if (token == "refuse")
          return testing::HttpBackend::Json(R"({"allow":false,"message":"banned"})");
        if (token.rfind("user:", 0) != 0) return testing::HttpBackend::Json("<html>oops</html>");
        size_t colon = token.find(':', 5);
        json::Json out;
        out["allow"] = true;
        out["mid"] = std::stoll(token.substr(5, colon - 5));
        out["room_id"] = token.substr(colon + 1);
        out["accepts"] = json::Json::array({1000});
        return testing::HttpBackend::Json(json::Dump(out));
      }
      std::string body = in.value("body", "");
      if (body == "spam")
        return testing::HttpBackend::Json(R"({"allow":false,"message":"no spam here"})");
      if (body == "darn") return testing::HttpBackend::Json(R"({"allow":true,"body":"d**n"})");
      if (body == "slow") return std::nullopt;  // never answered in time
      return testing::HttpBackend::Json(R"({"allow":true})");
    });
    hooked_ = MakeStandalone("  auth: {hook: {url: \"" + backend_.Url("/connect") +
                             "\"}}\n  send: {hook: {url: \"" + backend_.Url("/send") +
                             "\", timeout: 300ms}}\n");
    hooked_->Start();
    cluster_ = hooked_.get();
  }
  void TearDown() override {
    hooked_.reset();  // the process goes before the backend it calls
  }
  testing::HttpBackend backend_;
  std::unique_ptr<Cluster> hooked_;
};

TEST_F(HookE2E, TheSendHookDeniesRewritesAndATimeoutDenies) {
  std::string room = Room("hooked");
  auto a = Join(Transport::kWs, "user:701:" + room);
  auto b = Join(Transport::kTcp, "user:702:" + room);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(SendAndEcho(*a, 1, "spam"), R"({"code":-403,"message":"no spam here"})");
  EXPECT_EQ(SendAndEcho(*a, 2, "darn"), "");
  EXPECT_EQ(SendAndEcho(*a, 3, "slow"), R"({"code":-503,"message":"send hook unavailable"})");
  EXPECT_EQ(SendAndEcho(*a, 4, "fine"), "");
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "d**n");
  EXPECT_EQ(b->ReadOpBody(1000, 10s), "fine") << "a denied or timed-out send was pushed";
  EXPECT_GE(Metric("goim_logic_hook_failures_total{hook=\"send\",kind=\"timeout\"}"), 1);
  EXPECT_GE(Metric("goim_logic_hook_answers_total{hook=\"send\",answer=\"deny\"}"), 1);
}

TEST_F(HookE2E, TheConnectHookDecidesWhoConnectsAndWhere) {
  std::string room = Room("backend-room");
  auto a = Join(Transport::kTcp, "user:4242:" + room);
  ASSERT_TRUE(a);
  // The backend's mid and room are the connection's: pushes to them reach it.
  net::HttpClient http(cluster_->http);
  EXPECT_EQ(http.Post("/goim/push/mids?operation=1000&mids=4242", "to mid 4242").body,
            R"({"code":0,"message":""})");
  EXPECT_EQ(a->ReadOpBody(1000, 10s), "to mid 4242");
  Marker(room, "to the backend's room");
  EXPECT_EQ(a->ReadOpBody(1000, 10s), "to the backend's room");

  for (const std::string token : {"refuse", R"({"mid":1,"room_id":"live://1"})"}) {
    auto c = Dial(Transport::kWs);
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Send(protocol::kOpAuth, 1, token));
    EXPECT_TRUE(c->WaitClosed(10s)) << token << ": a refused connect is closed";
  }
  EXPECT_GE(Metric("goim_logic_hook_answers_total{hook=\"connect\",answer=\"refuse\"}"), 1);
  EXPECT_GE(Metric("goim_logic_hook_failures_total{hook=\"connect\",kind=\"bad_answer\"}"), 1);
}

}  // namespace
}  // namespace goim::e2e
