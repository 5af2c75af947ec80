// Services on bilibili discovery beside goim's own nodes (in-process, against the fake bilibili
// discovery server of test/support; no goim binary): logic registers goim.logic where goim's
// comet looks for it (a grpc:// address under env/appid), follows a comet registered as goim's
// comet registers (no counts at first, then conn_count and ip_count in its metadata) and counts
// it by that metadata; job sends to goim's comets of its zone.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "job/job.h"
#include "job/membership.h"
#include "logic/logic_server.h"
#include "logic/membership.h"
#include "pkg/queue/embedded.h"
#include "router/membership.h"
#include "router/router_server.h"
#include "test/e2e/harness.h"
#include "test/support/fake_bilibili_discovery.h"

namespace goim {
namespace {

using namespace std::chrono_literals;
using e2e::Eventually;

// A record as goim's comet registers it: metadata weight, offline and addrs, and after its first
// dis.Set (10 s later) conn_count and ip_count too; no epoch.
json::Json GoimComet(const std::string& host, const std::string& zone, int conns = -1,
                     int ips = -1) {
  json::Json meta = {{"weight", "10"}, {"offline", "false"}, {"addrs", "10.0.0.9"}};
  if (conns >= 0) meta["conn_count"] = std::to_string(conns);
  if (ips >= 0) meta["ip_count"] = std::to_string(ips);
  return {{"region", "sh"},        {"zone", zone},     {"env", "dev"},
          {"appid", "goim.comet"}, {"hostname", host}, {"addrs", {"grpc://127.0.0.1:1"}},
          {"version", ""},         {"metadata", meta}, {"status", 1}};
}

class BilibiliFollow : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<testing::FakeBilibiliDiscovery>(2s);
    disc_.bilibili.nodes = {fake_->addr()};
    disc_.bilibili.renewInterval = 200ms;
    disc_.bilibili.timeout = 1s;
    disc_.bilibili.pollTimeout = 5s;
    disc_.bilibili.retry = 100ms;
  }
  conf::Env Env(const std::string& host, const std::string& zone = "sh001") {
    conf::Env env;
    env.host = host;
    env.region = "sh";
    env.zone = zone;
    env.deployEnv = "dev";
    return env;
  }

  std::unique_ptr<testing::FakeBilibiliDiscovery> fake_;
  discovery::Config disc_;
};

TEST_F(BilibiliFollow, LogicRegistersForGoimsCometAndCountsGoimsCometByItsMetadata) {
  router::Config rc;
  rc.env = Env("router-1");
  rc.rpcServer.addr = "127.0.0.1:0";
  rc.discovery = disc_;
  router::RouterServer router(rc);
  router.Start();
  router::Membership rm(rc, router);
  rm.Start();

  auto queue = queue::Embedded::Create(4, 1000);
  auto producer = queue->NewProducer();
  logic::Config lc;
  lc.env = Env("logic-1");
  lc.httpServer.addr = "127.0.0.1:0";
  lc.rpcServer.addr = "127.0.0.1:0";
  lc.online.tick = 100ms;
  lc.discovery = disc_;
  logic::LogicServer logic(lc, producer.get());
  logic::Membership m(lc, logic.core());
  m.Follow();
  logic.Start();
  m.Register(logic.grpc_port());
  logic::LogicCore& core = logic.core();
  // Its ring comes from the router registered there.
  EXPECT_EQ(core.router().Nodes(),
            (std::map<std::string, std::string>{
                {"router-1", "127.0.0.1:" + std::to_string(router.port())}}));

  // Where goim's comet (target discovery://default/goim.logic) finds it.
  json::Json self = fake_->Find("dev", "goim.logic", "logic-1");
  ASSERT_TRUE(self.is_object()) << "goim.logic/logic-1 is not registered";
  EXPECT_EQ(self["addrs"],
            json::Json::array({"grpc://127.0.0.1:" + std::to_string(logic.grpc_port())}));
  EXPECT_EQ(self["zone"], "sh001");

  // goim's comet registers without counts, then publishes them.
  fake_->Put("dev", "goim.comet", "sh001", "goim-comet-1", GoimComet("goim-comet-1", "sh001"));
  ASSERT_TRUE(Eventually([&] { return core.Comets().size() == 1; }));
  EXPECT_EQ(core.Nodes("android", "").nodes(0), "10.0.0.9");
  EXPECT_EQ(core.OnlineTotal(), (std::pair<int64_t, int64_t>{0, 0}));
  fake_->Put("dev", "goim.comet", "sh001", "goim-comet-1",
             GoimComet("goim-comet-1", "sh001", 5, 2));
  ASSERT_TRUE(Eventually([&] {
    return core.OnlineTotal() == std::pair<int64_t, int64_t>{2, 5};
  })) << core.OnlineTotal().first
      << " " << core.OnlineTotal().second;
  ASSERT_EQ(core.Instances().size(), 1u);
  EXPECT_EQ(core.Instances()[0].second.conn_count(), 5);

  // Evicted by the server (goim's comet died): it leaves.
  fake_->Evict("dev", "goim.comet", "goim-comet-1");
  ASSERT_TRUE(Eventually([&] { return core.Comets().empty(); }));
  EXPECT_EQ(core.OnlineTotal(), (std::pair<int64_t, int64_t>{0, 0}));

  m.Stop();
  logic.Stop();
  EXPECT_TRUE(fake_->Find("dev", "goim.logic", "logic-1").is_null()) << "not cancelled on stop";
  rm.Stop();
  router.Stop();
}

TEST_F(BilibiliFollow, JobSendsToGoimsCometsOfItsZone) {
  auto queue = queue::Embedded::Create(4, 1000);
  job::Config jc;
  jc.env = Env("job-1", "z1");
  jc.discovery = disc_;
  jc.metrics.addr = "";
  job::Job job(jc, queue->NewConsumer());
  job.Start();
  job::Membership m(jc, job);
  fake_->Put("dev", "goim.comet", "z1", "goim-comet-1", GoimComet("goim-comet-1", "z1", 1, 1));
  fake_->Put("dev", "goim.comet", "z2", "goim-comet-2", GoimComet("goim-comet-2", "z2"));
  m.Start();
  ASSERT_TRUE(
      Eventually([&] { return job.UpComets() == std::vector<std::string>{"goim-comet-1"}; }));
  EXPECT_FALSE(fake_->Find("dev", "goim.job", "job-1").is_null());
  fake_->Evict("dev", "goim.comet", "goim-comet-1");
  ASSERT_TRUE(Eventually([&] { return job.UpComets().empty(); }));
  m.Stop();
  job.Stop();
}

}  // namespace
}  // namespace goim
