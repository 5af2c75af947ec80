// The viewers' send path at logic, through goim.logic.Logic as a comet calls it: Receive with the
// sender's key and room becomes a room push on the queue (or a refusal body for the echo), and
// the backend hooks against an in-test backend on 127.0.0.1. The rate limits run on a FakeClock.
#include <functional>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/logic.grpc.pb.h"
#include "logic/logic_server.h"
#include "pkg/json/json.h"
#include "pkg/metrics/metrics.h"
#include "pkg/queue/embedded.h"
#include "pkg/time/fake_clock.h"
#include "router/router_server.h"
#include "test/support/http_backend.h"

namespace goim::logic {
namespace {

using namespace std::chrono_literals;
using testing::HttpBackend;

double Metric(const std::string& name) {
  double v = metrics::Registry::Default().Get(name);
  return v < 0 ? 0 : v;
}

json::Json ParseJson(const std::string& s) {
  json::Json v;
  std::string err;
  EXPECT_TRUE(json::Parse(s, &v, &err)) << s;
  return v;
}

class SendTest : public ::testing::Test {
 protected:
  // A router and a logic with send enabled; tweak adjusts logic's config before it starts.
  void Boot(const std::function<void(Config&)>& tweak = {}) {
    router::Config rc;
    rc.rpcServer.addr = "127.0.0.1:0";
    router_ = std::make_unique<router::RouterServer>(rc);
    router_->Start();
    Config cfg;
    cfg.httpServer.addr = "127.0.0.1:0";
    cfg.rpcServer.addr = "127.0.0.1:0";
    cfg.online.tick = std::chrono::hours(1);
    cfg.router.nodes = {{"r1", "127.0.0.1:" + std::to_string(router_->port())}};
    cfg.send.enabled = true;
    if (tweak) tweak(cfg);
    ASSERT_EQ(cfg.Validate(), "");
    queue_ = queue::Embedded::Create(4, 10000);
    producer_ = queue_->NewProducer();
    consumer_ = queue_->NewConsumer();
    server_ = std::make_unique<LogicServer>(cfg, producer_.get(), clock_);
    server_->Start();
    stub_ = goim::logic::Logic::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (router_) router_->Stop();
  }

  // What the comet's echo would carry; "<failed>" when the call itself failed.
  std::string Send(int64_t mid, const std::string& key, const std::string& room,
                   const std::string& body, int32_t op = 4) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    ReceiveReq req;
    req.set_mid(mid);
    req.set_key(key);
    req.set_roomid(room);
    req.mutable_proto()->set_ver(1);
    req.mutable_proto()->set_op(op);
    req.mutable_proto()->set_seq(3);
    req.mutable_proto()->set_body(body);
    ReceiveReply reply;
    grpc::Status st = stub_->Receive(&ctx, req, &reply);
    return st.ok() ? reply.body() : "<failed>";
  }
  int Code(const std::string& reply) { return ParseJson(reply).value("code", 999); }

  grpc::Status Connect(const std::string& token, ConnectReply* reply) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    ConnectReq req;
    req.set_server("comet-1");
    req.set_cookie("c=1");
    req.set_token(token);
    return stub_->Connect(&ctx, req, reply);
  }

  std::vector<PushMsg> Drain() {
    std::vector<PushMsg> out;
    while (auto m = consumer_->Poll(50)) {
      PushMsg pm;
      EXPECT_TRUE(pm.ParseFromString(m->value));
      EXPECT_EQ(m->key, pm.room()) << "a room push is keyed by its room, as goim keys it";
      out.push_back(pm);
    }
    return out;
  }

  time::FakeClock clock_;
  HttpBackend backend_;
  std::unique_ptr<router::RouterServer> router_;
  std::shared_ptr<queue::Embedded> queue_;
  std::unique_ptr<queue::Producer> producer_;
  std::unique_ptr<queue::Consumer> consumer_;
  std::unique_ptr<LogicServer> server_;
  std::unique_ptr<goim::logic::Logic::Stub> stub_;
};

TEST_F(SendTest, ASendBecomesARoomPushAndIsEchoedEmpty) {
  Boot();
  const double accepted = Metric("goim_logic_send_total{result=\"accepted\"}");
  EXPECT_EQ(Send(7, "k7", "live://1000", "hello room"), "");
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type(), PushMsg::ROOM);
  EXPECT_EQ(msgs[0].operation(), 1000);
  EXPECT_EQ(msgs[0].room(), "live://1000");
  EXPECT_EQ(msgs[0].msg(), "hello room");
  EXPECT_EQ(Metric("goim_logic_send_total{result=\"accepted\"}"), accepted + 1);
}

TEST_F(SendTest, TheSixthSendWithinASecondIsRefusedAndNotPushed) {
  Boot();
  const double rate = Metric("goim_logic_send_refused_total{reason=\"rate\"}");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Send(9, "k9", "live://1", "m" + std::to_string(i)), "");
  std::string sixth = Send(9, "k9", "live://1", "sixth");
  EXPECT_EQ(sixth, R"({"code":-429,"message":"too many sends, slow down"})");
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 5u);
  for (const auto& m : msgs) EXPECT_NE(m.msg(), "sixth");
  EXPECT_EQ(Metric("goim_logic_send_refused_total{reason=\"rate\"}"), rate + 1);
  clock_.Advance(1s);
  EXPECT_EQ(Send(9, "k9", "live://1", "a second later"), "");
  EXPECT_EQ(Drain().size(), 1u);
}

TEST_F(SendTest, BadBodiesGetADefinedAnswer) {
  Boot([](Config& c) { c.send.operation = 1005; });
  EXPECT_EQ(Code(Send(1, "k", "live://1", "")), kSendBadRequest);
  EXPECT_EQ(Code(Send(2, "k", "live://1", std::string(201, 'x'))), kSendTooLong);
  EXPECT_EQ(Code(Send(3, "k", "", "nowhere")), kSendBadRequest);
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(Send(4, "k", "live://1", "bad \xc3( utf8"), "");
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].msg(), "bad \xef\xbf\xbd( utf8");
  EXPECT_EQ(msgs[0].operation(), 1005);
}

// send.enabled false (configs/logic.yaml, the cluster's default): goim's Receive, which only
// logs; the echo stays empty. Ops other than 4 likewise when send is on.
TEST_F(SendTest, GoimsReceiveWhenSendIsOff) {
  Boot([](Config& c) { c.send.enabled = false; });
  EXPECT_EQ(Send(1, "k", "live://1", "not a danmaku"), "");
  EXPECT_TRUE(Drain().empty());
}

TEST_F(SendTest, OtherOpsAreNotSends) {
  Boot();
  EXPECT_EQ(Send(1, "k", "live://1", "x", 4242), "");
  EXPECT_TRUE(Drain().empty());
}

TEST_F(SendTest, TheSendHookDeniesRewritesOrAllows) {
  backend_.SetHandler([](const net::HttpRequest& req) {
    json::Json in = ParseJson(req.body);
    std::string body = in.value("body", "");
    if (body == "spam") return HttpBackend::Json(R"({"allow":false,"message":"no spam here"})");
    if (body == "darn") return HttpBackend::Json(R"({"allow":true,"body":"d**n"})");
    return HttpBackend::Json(R"({"allow":true})");
  });
  Boot([&](Config& c) { c.send.hook.url = backend_.Url("/hooks/send"); });
  EXPECT_EQ(Send(5, "k5", "live://9", "spam"), R"({"code":-403,"message":"no spam here"})");
  EXPECT_EQ(Send(5, "k5", "live://9", "darn"), "");
  EXPECT_EQ(Send(5, "k5", "live://9", "fine"), "");
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].msg(), "d**n");
  EXPECT_EQ(msgs[1].msg(), "fine");
  auto reqs = backend_.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].path, "/hooks/send");
  EXPECT_EQ(reqs[0].body, R"({"mid":5,"key":"k5","room":"live://9","body":"spam"})");
  // The policy comes first: what it refuses never reaches the backend.
  EXPECT_EQ(Code(Send(5, "k5", "live://9", "")), kSendBadRequest);
  EXPECT_EQ(backend_.Requests().size(), 3u);
}

// A backend that does not answer within send.hook.timeout: onFailure deny (the default) refuses
// the send with -503, counted as a timeout; nothing is pushed.
TEST_F(SendTest, ASendHookThatTimesOutDeniesByDefault) {
  backend_.SetHandler([](const net::HttpRequest&) { return std::nullopt; });
  Boot([&](Config& c) {
    c.send.hook.url = backend_.Url("/");
    c.send.hook.timeout = 100ms;
  });
  const double timeouts = Metric("goim_logic_hook_failures_total{hook=\"send\",kind=\"timeout\"}");
  EXPECT_EQ(Send(1, "k", "live://1", "slow"), R"({"code":-503,"message":"send hook unavailable"})");
  EXPECT_TRUE(Drain().empty());
  EXPECT_EQ(Metric("goim_logic_hook_failures_total{hook=\"send\",kind=\"timeout\"}"), timeouts + 1);
  EXPECT_GE(Metric("goim_logic_hook_duration_microseconds_sum{hook=\"send\"}"), 100000);
}

TEST_F(SendTest, ASendHookThatTimesOutAllowsWhenConfigured) {
  backend_.SetHandler([](const net::HttpRequest&) { return std::nullopt; });
  Boot([&](Config& c) {
    c.send.hook.url = backend_.Url("/");
    c.send.hook.timeout = 100ms;
    c.send.hook.onFailure = "allow";
  });
  EXPECT_EQ(Send(1, "k", "live://1", "slow but fine"), "");
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].msg(), "slow but fine");
}

// Garbage, a wrong status, a missing "allow", a body of the wrong type, nobody listening: each a
// counted failure of its kind and the onFailure answer, never a crash.
TEST_F(SendTest, ASendHookAnsweringGarbageIsAFailureOfItsKind) {
  std::string answer;
  int status = 200;
  backend_.SetHandler([&](const net::HttpRequest&) { return HttpBackend::Json(answer, status); });
  Boot([&](Config& c) { c.send.hook.url = backend_.Url("/"); });
  struct Case {
    std::string answer;
    int status;
    const char* kind;
  } cases[] = {{"not json", 200, "bad_answer"},
               {"[true]", 200, "bad_answer"},
               {R"({"ok":true})", 200, "bad_answer"},
               {R"({"allow":"yes"})", 200, "bad_answer"},
               {R"({"allow":true,"body":42})", 200, "bad_answer"},
               {R"({"allow":true,"body":""})", 200, "bad_answer"},
               {R"({"allow":true})", 500, "status"}};
  int mid = 0;
  for (const Case& c : cases) {
    answer = c.answer;
    status = c.status;
    std::string metric =
        std::string("goim_logic_hook_failures_total{hook=\"send\",kind=\"") + c.kind + "\"}";
    const double before = Metric(metric);
    EXPECT_EQ(Code(Send(++mid, "k", "live://1", "x")), kSendHookFailed) << c.answer;
    EXPECT_EQ(Metric(metric), before + 1) << c.answer;
  }
  EXPECT_TRUE(Drain().empty());
}

TEST_F(SendTest, ASendHookNobodyListensOnIsAConnectFailure) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  Boot([&](Config& c) { c.send.hook.url = "http://127.0.0.1:" + std::to_string(port) + "/"; });
  const double before = Metric("goim_logic_hook_failures_total{hook=\"send\",kind=\"connect\"}");
  EXPECT_EQ(Code(Send(1, "k", "live://1", "x")), kSendHookFailed);
  EXPECT_EQ(Metric("goim_logic_hook_failures_total{hook=\"send\",kind=\"connect\"}"), before + 1);
}

TEST_F(SendTest, TheConnectHookSaysWhoATokenIs) {
  backend_.SetHandler([](const net::HttpRequest& req) {
    json::Json in = ParseJson(req.body);
    std::string token = in.value("token", "");
    if (token == "alice-secret")
      return HttpBackend::Json(
          R"({"allow":true,"mid":1001,"key":"alice-phone","room_id":"live://42","accepts":[1000]})");
    return HttpBackend::Json(R"({"allow":false,"message":"unknown token"})");
  });
  Boot([&](Config& c) { c.auth.hook.url = backend_.Url("/hooks/connect"); });
  ConnectReply reply;
  ASSERT_TRUE(Connect("alice-secret", &reply).ok());
  EXPECT_EQ(reply.mid(), 1001);
  EXPECT_EQ(reply.key(), "alice-phone");
  EXPECT_EQ(reply.roomid(), "live://42");
  ASSERT_EQ(reply.accepts_size(), 1);
  EXPECT_EQ(reply.accepts(0), 1000);
  auto reqs = backend_.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].body, R"({"server":"comet-1","cookie":"c=1","token":"alice-secret"})");

  // A goim token the backend does not know is refused, although goim would trust it.
  grpc::Status st = Connect(R"({"mid":1,"room_id":"live://1"})", &reply);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "connect hook: unknown token");
}

TEST_F(SendTest, AConnectHookThatFailsRefusesByDefault) {
  backend_.SetHandler([](const net::HttpRequest&) { return HttpBackend::Json("garbage"); });
  Boot([&](Config& c) { c.auth.hook.url = backend_.Url("/"); });
  const double bad = Metric("goim_logic_hook_failures_total{hook=\"connect\",kind=\"bad_answer\"}");
  ConnectReply reply;
  grpc::Status st = Connect(R"({"mid":1,"room_id":"live://1"})", &reply);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Metric("goim_logic_hook_failures_total{hook=\"connect\",kind=\"bad_answer\"}"),
            bad + 1);
  // An answer whose auth fields have the wrong types is a bad answer too.
  backend_.SetHandler(
      [](const net::HttpRequest&) { return HttpBackend::Json(R"({"allow":true,"mid":"x"})"); });
  EXPECT_EQ(Connect(R"({"mid":1})", &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Metric("goim_logic_hook_failures_total{hook=\"connect\",kind=\"bad_answer\"}"),
            bad + 2);
}

// auth.hook.onFailure token: while the backend is down, clients get in as goim reads their token.
TEST_F(SendTest, AConnectHookThatTimesOutFallsBackToTheTokenWhenConfigured) {
  backend_.SetHandler([](const net::HttpRequest&) { return std::nullopt; });
  Boot([&](Config& c) {
    c.auth.hook.url = backend_.Url("/");
    c.auth.hook.timeout = 100ms;
    c.auth.hook.onFailure = "token";
  });
  ConnectReply reply;
  ASSERT_TRUE(Connect(R"({"mid":77,"key":"from-token","room_id":"live://7"})", &reply).ok());
  EXPECT_EQ(reply.mid(), 77);
  EXPECT_EQ(reply.key(), "from-token");
  EXPECT_EQ(reply.roomid(), "live://7");
}

}  // namespace
}  // namespace goim::logic
