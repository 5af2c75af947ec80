#include <functional>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/logic.grpc.pb.h"
#include "logic/auth.h"
#include "logic/logic_server.h"
#include "pkg/json/json.h"
#include "pkg/net/http_client.h"
#include "pkg/queue/embedded.h"
#include "router/router_server.h"

namespace goim::logic {
namespace {

class LogicTest : public ::testing::Test {
 protected:
  void SetUp() override { Boot(); }

  // A router and a logic on free ports; tweak adjusts their configs before they start.
  void Boot(const std::function<void(router::Config&, Config&)>& tweak = {}) {
    router::Config rc;
    rc.rpcServer.addr = "127.0.0.1:0";
    Config cfg;
    cfg.httpServer.addr = "127.0.0.1:0";
    cfg.httpServer.maxBodySize = 1024;
    cfg.rpcServer.addr = "127.0.0.1:0";
    cfg.online.tick = std::chrono::hours(1);  // refreshed by hand
    discovery::Instance c1, c2;
    c1.hostname = "comet-1";
    c1.addrs = {"10.0.0.1"};
    c2.hostname = "comet-2";
    c2.addrs = {"10.0.0.2"};
    cfg.comets = {c1, c2};
    if (tweak) tweak(rc, cfg);
    router_ = std::make_unique<router::RouterServer>(rc);
    router_->Start();
    queue_ = queue::Embedded::Create(4, 10000);
    producer_ = queue_->NewProducer();
    consumer_ = queue_->NewConsumer();
    cfg.router.nodes = {{"r1", "127.0.0.1:" + std::to_string(router_->port())}};
    server_ = std::make_unique<LogicServer>(cfg, producer_.get());
    server_->Start();
    http_ = std::make_unique<net::HttpClient>("127.0.0.1:" + std::to_string(server_->http_port()));
    stub_ = goim::logic::Logic::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Stop();
    router_->Stop();
  }

  grpc::Status Connect(const std::string& server, const std::string& token, ConnectReply* reply) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ConnectReq req;
    req.set_server(server);
    req.set_token(token);
    return stub_->Connect(&ctx, req, reply);
  }

  // The envelope of a response, parsed.
  json::Json Body(const net::HttpResult& r) {
    json::Json v;
    std::string err;
    EXPECT_TRUE(json::Parse(r.body, &v, &err)) << r.body;
    return v;
  }
  int Code(const net::HttpResult& r) { return Body(r).value("code", 999); }
  std::string Message(const net::HttpResult& r) { return Body(r).value("message", ""); }

  std::vector<goim::logic::PushMsg> Drain() {
    std::vector<goim::logic::PushMsg> out;
    while (auto m = consumer_->Poll(50)) {
      goim::logic::PushMsg pm;
      EXPECT_TRUE(pm.ParseFromString(m->value));
      out.push_back(pm);
      keys_.push_back(m->key);
    }
    return out;
  }

  std::unique_ptr<router::RouterServer> router_;
  std::shared_ptr<queue::Embedded> queue_;
  std::unique_ptr<queue::Producer> producer_;
  std::unique_ptr<queue::Consumer> consumer_;
  std::unique_ptr<LogicServer> server_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<goim::logic::Logic::Stub> stub_;
  std::vector<std::string> keys_;
};

TEST_F(LogicTest, ConnectWritesSessionsAndPushKeysReachesTheirComet) {
  ConnectReply a, b, c;
  ASSERT_TRUE(
      Connect("comet-1", R"({"mid":7,"key":"k-a","room_id":"live://1","accepts":[1000]})", &a)
          .ok());
  ASSERT_TRUE(Connect("comet-2", R"({"mid":7,"key":"k-b","room_id":"live://1"})", &b).ok());
  ASSERT_TRUE(Connect("comet-1", R"({"mid":8})", &c).ok());
  EXPECT_EQ(a.mid(), 7);
  EXPECT_EQ(a.key(), "k-a");
  EXPECT_EQ(a.roomid(), "live://1");
  EXPECT_EQ(a.accepts_size(), 1);
  EXPECT_EQ(a.heartbeat(), 8LL * 60 * 1000000000LL);  // 4m x 2, in nanoseconds
  EXPECT_EQ(c.key().size(), 36u);                     // generated uuid

  auto r =
      http_->Post("/goim/push/keys?operation=1000&keys=k-a&keys=" + c.key() + ",missing", "hello");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"code":0,"message":""})");
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 1u);  // both keys live on comet-1: one message
  EXPECT_EQ(msgs[0].type(), goim::logic::PushMsg::PUSH);
  EXPECT_EQ(msgs[0].operation(), 1000);
  EXPECT_EQ(msgs[0].server(), "comet-1");
  EXPECT_EQ(msgs[0].keys_size(), 2);
  EXPECT_EQ(msgs[0].msg(), "hello");
  EXPECT_EQ(keys_.back(), msgs[0].keys(0));  // goim's partition key: keys[0]

  r = http_->Post("/goim/push/mids?operation=1001&mids=7&mids=12345", "to mid 7");
  EXPECT_EQ(Code(r), 0);
  msgs = Drain();
  ASSERT_EQ(msgs.size(), 2u);  // mid 7 is on two comets
  std::set<std::string> servers{msgs[0].server(), msgs[1].server()};
  EXPECT_EQ(servers, (std::set<std::string>{"comet-1", "comet-2"}));
}

TEST_F(LogicTest, DisconnectOnlyFromTheOwningComet) {
  ConnectReply a;
  ASSERT_TRUE(Connect("comet-1", R"({"mid":3,"key":"k3"})", &a).ok());
  grpc::ClientContext ctx;
  DisconnectReq dr;
  dr.set_mid(3);
  dr.set_key("k3");
  dr.set_server("comet-2");
  DisconnectReply reply;
  ASSERT_TRUE(stub_->Disconnect(&ctx, dr, &reply).ok());
  EXPECT_FALSE(reply.has());
  EXPECT_EQ(Code(http_->Post("/goim/push/keys?keys=k3", "x")), 0);
  EXPECT_EQ(Drain().size(), 1u);  // still routable
  grpc::ClientContext ctx2;
  dr.set_server("comet-1");
  ASSERT_TRUE(stub_->Disconnect(&ctx2, dr, &reply).ok());
  EXPECT_TRUE(reply.has());
  EXPECT_EQ(Code(http_->Post("/goim/push/keys?keys=k3", "x")), 0);
  EXPECT_EQ(Drain().size(), 0u);
}

TEST_F(LogicTest, HeartbeatReaddsAnExpiredSession) {
  grpc::ClientContext ctx;
  HeartbeatReq hr;
  hr.set_mid(4);
  hr.set_key("k4");
  hr.set_server("comet-2");
  HeartbeatReply reply;
  ASSERT_TRUE(stub_->Heartbeat(&ctx, hr, &reply).ok());  // never connected: re-added
  EXPECT_EQ(Code(http_->Post("/goim/push/mids?mids=4", "x")), 0);
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].server(), "comet-2");
}

TEST_F(LogicTest, RoomAndAllPushesUseGoimKeys) {
  EXPECT_EQ(Code(http_->Post("/goim/push/room?operation=1000&type=live&room=1000", "room message")),
            0);
  EXPECT_EQ(Code(http_->Post("/goim/push/all?operation=1002&speed=100", "all")), 0);
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 2u);
  const auto& room = msgs[0].type() == goim::logic::PushMsg::ROOM ? msgs[0] : msgs[1];
  const auto& all = msgs[0].type() == goim::logic::PushMsg::ROOM ? msgs[1] : msgs[0];
  EXPECT_EQ(room.room(), "live://1000");
  EXPECT_EQ(room.msg(), "room message");
  EXPECT_EQ(all.type(), goim::logic::PushMsg::BROADCAST);
  EXPECT_EQ(all.speed(), 100);
  EXPECT_EQ(all.operation(), 1002);
  std::set<std::string> keys(keys_.begin(), keys_.end());
  EXPECT_EQ(keys, (std::set<std::string>{"live://1000", "1002"}));
}

TEST_F(LogicTest, BadParametersAre400NamingTheParameter) {
  struct Case {
    std::string target;
    std::string want;
  } cases[] = {
      {"/goim/push/keys?operation=1000", "keys: required"},
      {"/goim/push/keys?operation=abc&keys=a", "operation: 'abc' is not a valid int32"},
      {"/goim/push/keys?operation=99999999999&keys=a",
       "operation: '99999999999' is not a valid int32"},
      {"/goim/push/mids?mids=1&mids=x", "mids: 'x' is not a valid int64"},
      {"/goim/push/mids?operation=1", "mids: required"},
      {"/goim/push/room?type=live&room=1", "operation: required"},
      {"/goim/push/room?operation=0&type=live&room=1", "operation: required (must not be 0)"},
      {"/goim/push/room?operation=1000&room=1", "type: required"},
      {"/goim/push/room?operation=1000&type=live", "room: required"},
      {"/goim/push/all?speed=1", "operation: required"},
      {"/goim/push/all?operation=1&speed=-3", "speed: must be >= 0"},
      {"/goim/push/all?operation=1&bad=%zz", "malformed query parameter 'bad=%zz'"},
  };
  for (const auto& c : cases) {
    auto r = http_->Post(c.target, "m");
    EXPECT_EQ(r.status, 400) << c.target;  // goim (gin's binding) answers 400 with the envelope
    EXPECT_EQ(Code(r), -400) << c.target;
    EXPECT_EQ(Message(r), c.want) << c.target;
  }
  for (const auto& [target, want] : std::vector<std::pair<std::string, std::string>>{
           {"/goim/online/top?limit=1", "type: required"},
           {"/goim/online/top?type=live", "limit: required"},
           {"/goim/online/top?type=live&limit=x", "limit: 'x' is not a valid int32"},
           {"/goim/online/room?type=live", "rooms: required"}}) {
    auto r = http_->Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(Code(r), -400) << target;
    EXPECT_EQ(Message(r), want) << target;
  }
  auto big = http_->Post("/goim/push/room?operation=1&type=live&room=1", std::string(1025, 'x'));
  EXPECT_EQ(Code(big), -400);
  EXPECT_NE(Message(big).find("over the limit of 1024"), std::string::npos);
  // A wrong method is an unknown route to gin: 404 page not found, as goim.
  for (auto wrong : {http_->Get("/goim/push/room?operation=1&type=live&room=1"),
                     http_->Post("/goim/online/total", ""), http_->Get("/goim/server/del")}) {
    EXPECT_EQ(wrong.status, 404);
    EXPECT_EQ(wrong.body, "404 page not found");
  }
  EXPECT_EQ(http_->Get("/goim/nothing").status, 404);
  EXPECT_TRUE(Drain().empty());  // nothing bad reached the queue
}

TEST_F(LogicTest, OnlineEndpointsReflectCometReports) {
  auto renew = [&](const std::string& server, std::map<std::string, int32_t> rooms, int conns) {
    grpc::ClientContext ctx;
    OnlineReq req;
    req.set_server(server);
    for (auto& [r, n] : rooms) (*req.mutable_roomcount())[r] = n;
    req.set_conncount(conns);
    req.set_ipcount(conns / 2);
    OnlineReply reply;
    EXPECT_TRUE(stub_->RenewOnline(&ctx, req, &reply).ok());
    return reply;
  };
  renew("comet-1", {{"live://1000", 3}, {"live://2000", 1}, {"test://1", 9}}, 13);
  OnlineReply all = renew("comet-2", {{"live://1000", 2}}, 2);
  EXPECT_EQ(all.allroomcount().at("live://1000"), 5);  // cluster-wide, returned at once
  EXPECT_EQ(all.allroomcount().at("test://1"), 9);

  server_->core().RefreshOnline();  // the same figures come back from the router
  std::promise<void> done;
  server_->core().RefreshOnline([&] { done.set_value(); });
  done.get_future().wait();

  auto top = http_->Get("/goim/online/top?type=live&limit=1");
  EXPECT_EQ(top.body, R"({"code":0,"message":"","data":[{"room_id":"1000","count":5}]})");
  auto room = http_->Get("/goim/online/room?type=live&rooms=1000&rooms=2000,3000");
  EXPECT_EQ(room.body, R"({"code":0,"message":"","data":{"1000":5,"2000":1,"3000":0}})");
  auto total = http_->Get("/goim/online/total");
  EXPECT_EQ(total.body, R"({"code":0,"message":"","data":{"ip_count":7,"conn_count":15}})");
  auto nodes = Body(http_->Get("/goim/nodes/weighted?platform=ios"));
  ASSERT_TRUE(nodes.contains("data"));
  const json::Json& data = nodes.at("data");
  EXPECT_EQ(data.at("tcp_port").get<int>(), 3101);
  EXPECT_EQ(data.at("heartbeat").get<int>(), 240);
  EXPECT_EQ(data.at("heartbeat_max").get<int>(), 2);
  EXPECT_EQ(data.at("nodes").size(), 2u);
  // comet-2 holds far fewer connections: it is handed out first.
  EXPECT_EQ(data.at("nodes").at(0).get<std::string>(), "10.0.0.2");
  auto web = Body(http_->Get("/goim/nodes/weighted?platform=web"));
  EXPECT_EQ(web.at("data").at("nodes").at(0).get<std::string>().substr(0, 6), "comet-");
  auto inst = Body(http_->Get("/goim/nodes/instances"));
  ASSERT_EQ(inst.at("data").size(), 2u);
  EXPECT_EQ(inst.at("data").at(0).at("metadata").at("conn_count").get<std::string>(), "13");
}

TEST_F(LogicTest, MetricsEndpoint) {
  http_->Post("/goim/push/room?operation=1&type=live&room=1", "x");
  auto m = http_->Get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("goim_logic_push_total{type=\"room\"}"), std::string::npos);
}

TEST_F(LogicTest, ServerDelRemovesACometsSessions) {
  ConnectReply a, b;
  ASSERT_TRUE(Connect("comet-1", R"({"mid":21,"key":"d1"})", &a).ok());
  ASSERT_TRUE(Connect("comet-2", R"({"mid":22,"key":"d2"})", &b).ok());
  auto r = http_->Post("/goim/server/del?server=comet-1", "");
  EXPECT_EQ(r.body, R"({"code":0,"message":"","data":{"deleted":2}})");
  EXPECT_EQ(Code(http_->Post("/goim/push/keys?keys=d1,d2", "x")), 0);
  auto msgs = Drain();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].server(), "comet-2");
  auto missing = http_->Post("/goim/server/del", "");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Message(missing), "server: required");
}

class StaleLogicTest : public LogicTest {
 protected:
  void SetUp() override {
    Boot([](router::Config& rc, Config& cfg) {
      rc.online.stale = std::chrono::seconds(1);
      cfg.httpServer.maxBodySize = Config().httpServer.maxBodySize;
      cfg.online.tick = std::chrono::milliseconds(100);
      cfg.comets.clear();
    });
  }
};

TEST_F(StaleLogicTest, ACometThatStopsReportingLosesItsSessions) {
  ConnectReply a;
  ASSERT_TRUE(Connect("comet-dead", R"({"mid":31,"key":"gone-key"})", &a).ok());
  grpc::ClientContext ctx;
  OnlineReq req;
  req.set_server("comet-dead");
  req.set_conncount(1);
  OnlineReply reply;
  ASSERT_TRUE(stub_->RenewOnline(&ctx, req, &reply).ok());
  // No further reports: after online.stale the router drops the report and logic the sessions.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < until) {
    EXPECT_EQ(Code(http_->Post("/goim/push/keys?keys=gone-key", "x")), 0);
    gone = Drain().empty();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone);
}

class SignedLogicTest : public LogicTest {
 protected:
  void SetUp() override {
    Boot([](router::Config&, Config& cfg) {
      cfg.auth.secret = "topsecret";
      cfg.httpServer.apiKey = "push-key";
    });
  }
};

TEST_F(SignedLogicTest, SignedTokensAcceptedForgedRefused) {
  int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count() +
                60;
  std::string claims =
      R"({"mid":1,"key":"signed","room_id":"live://1","exp":)" + std::to_string(exp) + "}";
  ConnectReply reply;
  EXPECT_TRUE(Connect("comet-1", SignToken(claims, "topsecret"), &reply).ok());
  EXPECT_EQ(reply.key(), "signed");
  grpc::Status st = Connect("comet-1", SignToken(claims, "guess"), &reply);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "token: bad signature");
  EXPECT_EQ(Connect("comet-1", claims, &reply).error_message(), "token: not signed");
}

TEST_F(SignedLogicTest, PushNeedsTheApiKey) {
  auto r = http_->Post("/goim/push/room?operation=1&type=live&room=1", "x");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Code(r), -400);
  EXPECT_EQ(Code(http_->Post("/goim/push/room?operation=1&type=live&room=1&api_key=push-key", "x")),
            0);
  EXPECT_EQ(Code(http_->Do("POST", "/goim/push/room?operation=1&type=live&room=1", "x", "",
                           "X-Goim-Key: push-key")),
            0);
  EXPECT_EQ(Code(http_->Do("POST", "/goim/push/room?operation=1&type=live&room=1", "x", "",
                           "Authorization: Bearer push-key")),
            0);
  for (const char* wrong : {"push-ke", "push-key2", "Push-key", ""}) {
    EXPECT_EQ(http_
                  ->Do("POST", "/goim/push/room?operation=1&type=live&room=1", "x", "",
                       std::string("X-Goim-Key: ") + wrong)
                  .status,
              401)
        << wrong;
    EXPECT_EQ(http_
                  ->Do("POST", "/goim/push/room?operation=1&type=live&room=1", "x", "",
                       std::string("Authorization: Bearer ") + wrong)
                  .status,
              401)
        << wrong;
  }
  EXPECT_EQ(Drain().size(), 3u);
  EXPECT_EQ(http_->Post("/goim/server/del?server=comet-1", "").status, 401);
  EXPECT_EQ(http_->Get("/goim/online/total").status, 200);  // reads stay open
}

class OneConnLogicTest : public LogicTest {
 protected:
  void SetUp() override {
    Boot([](router::Config&, Config& cfg) { cfg.httpServer.maxConns = 1; });
  }
};

// httpServer.maxConns reaches logic's HTTP server: past it a connection gets 503.
TEST_F(OneConnLogicTest, ConnectionsPastMaxConnsGet503) {
  EXPECT_EQ(http_->Get("/goim/online/total").status, 200);  // keeps the one connection open
  net::HttpClient second("127.0.0.1:" + std::to_string(server_->http_port()));
  auto r = second.Get("/goim/online/total");
  EXPECT_EQ(r.status, 503) << r.error;
  EXPECT_NE(r.body.find("too many connections (limit 1)"), std::string::npos) << r.body;
}

TEST(LogicRouterDown, FailsWithinTheDeadlineNamingTheRouter) {
  // One router address refuses connections, the other accepts and never answers.
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket held(io);
  silent.async_accept(held, [](boost::system::error_code) {});
  std::thread t([&] { io.run_for(std::chrono::seconds(5)); });
  for (const std::string& addr : std::vector<std::string>{
           "127.0.0.1:1", "127.0.0.1:" + std::to_string(silent.local_endpoint().port())}) {
    auto q = queue::Embedded::Create(1, 10);
    auto prod = q->NewProducer();
    Config cfg;
    cfg.router.nodes = {{"r-down", addr}};
    cfg.router.timeout = std::chrono::milliseconds(300);
    LogicCore core(
        cfg, prod.get(),
        std::make_unique<RouterClient>(cfg.router.nodes, std::chrono::milliseconds(300)));
    auto start = std::chrono::steady_clock::now();
    std::promise<Result> got;
    core.Connect("comet-1", "", R"({"mid":1})", [&](Result r, ConnectReply) { got.set_value(r); });
    auto fut = got.get_future();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(3)), std::future_status::ready) << addr;
    Result r = fut.get();
    EXPECT_EQ(r.code, kServerErr);
    EXPECT_NE(r.message.find("router r-down (" + addr + ")"), std::string::npos) << r.message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  io.stop();
  t.join();
}

}  // namespace
}  // namespace goim::logic
