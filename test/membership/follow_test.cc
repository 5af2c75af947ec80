// Services in a live membership (in-process, against a real etcd from test/support): routers
// register with their epoch, logic follows them (its ketama ring) and the comets (/goim/nodes/*,
// a comet that leaves loses its sessions), job follows the comets of its zone, and an etcd that
// cannot be reached at start is a clear error.
#include <mutex>

#include <gtest/gtest.h>

#include "job/job.h"
#include "job/membership.h"
#include "logic/logic_server.h"
#include "logic/membership.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"
#include "pkg/queue/embedded.h"
#include "router/membership.h"
#include "router/router_server.h"
#include "test/e2e/harness.h"
#include "test/support/etcd_server.h"

namespace goim {
namespace {

using namespace std::chrono_literals;
using e2e::Eventually;

class Follow : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdServer::Available())
      GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
    etcd_ = std::make_unique<testing::EtcdServer>();
    etcd_->Start();
    disc_.etcd.endpoints = {etcd_->endpoint()};
    disc_.etcd.ttl = 2s;
    disc_.etcd.dialTimeout = 1s;
    backend_ = discovery::NewBackend(disc_, {});
  }

  // A router on a free port, registered in etcd as name.
  struct Router {
    std::unique_ptr<router::RouterServer> server;
    std::unique_ptr<router::Membership> membership;
  };
  Router StartRouter(const std::string& name) {
    router::Config rc;
    rc.env.host = name;
    rc.rpcServer.addr = "127.0.0.1:0";
    rc.discovery = disc_;
    Router r;
    r.server = std::make_unique<router::RouterServer>(rc);
    r.server->Start();
    r.membership = std::make_unique<router::Membership>(rc, *r.server);
    r.membership->Start();
    return r;
  }

  // A comet's record as a comet registers it (no comet process needed to be a member).
  std::unique_ptr<discovery::Registration> FakeComet(const std::string& name,
                                                     const std::string& zone = "") {
    conf::Env env;
    env.host = name;
    env.zone = zone;
    env.addrs = {"10.0.0." + name.substr(name.size() - 1)};
    return backend_->Register(discovery::Self(env, discovery::kComet, "127.0.0.1:1"));
  }

  std::unique_ptr<testing::EtcdServer> etcd_;
  discovery::Config disc_;
  std::unique_ptr<discovery::Backend> backend_;
};

TEST_F(Follow, LogicBuildsItsRingFromRoutersAndDropsCometsThatLeave) {
  Router r1 = StartRouter("router-1");
  auto queue = queue::Embedded::Create(4, 1000);
  auto producer = queue->NewProducer();
  logic::Config lc;
  lc.env.host = "logic-1";
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
  // The configured router.nodes (router-1 at :3129) gave way to the membership.
  EXPECT_EQ(core.router().Nodes(),
            (std::map<std::string, std::string>{
                {"router-1", "127.0.0.1:" + std::to_string(r1.server->port())}}));

  Router r2 = StartRouter("router-2");
  ASSERT_TRUE(Eventually([&] { return core.router().Nodes().size() == 2; }));
  // Keys spread over both (ketama of the two names).
  std::set<std::string> owners;
  for (int i = 0; i < 50; ++i) owners.insert(core.router().NodeForKey("key-" + std::to_string(i)));
  EXPECT_EQ(owners, (std::set<std::string>{"router-1", "router-2"}));

  auto c1 = FakeComet("comet-1");
  auto c2 = FakeComet("comet-2");
  ASSERT_TRUE(Eventually([&] { return core.Comets().size() == 2; }));
  auto nodes = core.Nodes("android", "");
  EXPECT_EQ(nodes.nodes_size(), 2);  // both comets' public addresses
  ASSERT_EQ(core.Instances().size(), 2u);
  EXPECT_EQ(core.Instances()[0].first.grpc, "127.0.0.1:1");

  // A session on comet-2, then comet-2 leaves: its session goes from every router.
  goim::router::Session s;
  s.set_key("k-on-2");
  s.set_mid(7);
  s.set_server("comet-2");
  std::promise<std::string> put;
  core.router().Put(
      s, [&](const std::string& err, logic::RouterClient::PutResult) { put.set_value(err); });
  ASSERT_EQ(put.get_future().get(), "");
  auto& reg = metrics::Registry::Default();
  double left = reg.Get("goim_logic_comets_left_total");
  c2->Close();
  ASSERT_TRUE(Eventually([&] { return core.Comets().size() == 1; }, 3s));
  EXPECT_EQ(reg.Get("goim_logic_comets_left_total") - left, 1);
  EXPECT_EQ(core.Nodes("android", "").nodes(0), "10.0.0.1");
  ASSERT_TRUE(Eventually([&] {
    std::promise<size_t> found;
    core.router().GetKeys(
        {"k-on-2"}, [&](const std::string&, auto sessions) { found.set_value(sessions.size()); });
    return found.get_future().get() == 0;
  }));

  // A router that leaves is taken off the ring.
  r2.membership->Stop();
  ASSERT_TRUE(Eventually([&] { return core.router().Nodes().size() == 1; }, 3s));
  EXPECT_EQ(core.router().NodeForKey("anything"), "router-1");
  m.Stop();
  logic.Stop();
}

TEST_F(Follow, JobSendsToTheCometsOfItsZone) {
  auto queue = queue::Embedded::Create(4, 1000);
  job::Config jc;
  jc.env.host = "job-1";
  jc.env.zone = "z1";
  jc.discovery = disc_;
  jc.metrics.addr = "";
  job::Job job(jc, queue->NewConsumer());
  job.Start();
  job::Membership m(jc, job);
  auto a = FakeComet("comet-1", "z1");
  auto b = FakeComet("comet-2", "z2");  // another zone: goim's job ignores it
  m.Start();
  ASSERT_TRUE(Eventually([&] { return job.UpComets() == std::vector<std::string>{"comet-1"}; }));
  auto c = FakeComet("comet-3", "z1");
  ASSERT_TRUE(Eventually([&] {
    return job.UpComets() == std::vector<std::string>{"comet-1", "comet-3"};
  }));
  a->Close();
  ASSERT_TRUE(Eventually([&] { return job.UpComets() == std::vector<std::string>{"comet-3"}; }));
  m.Stop();
  job.Stop();
}

TEST(FollowDown, UnreachableEtcdStopsStartup) {
  logic::Config lc;
  lc.discovery.etcd.endpoints = {e2e::Loopback(e2e::FreePort())};
  lc.discovery.etcd.dialTimeout = 300ms;
  auto queue = queue::Embedded::Create(1, 10);
  auto producer = queue->NewProducer();
  logic::LogicServer logic(lc, producer.get());
  logic::Membership m(lc, logic.core());
  try {
    m.Follow();
    FAIL() << "followed an etcd nobody runs";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read /goim/goim.router/ from etcd at"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace goim
