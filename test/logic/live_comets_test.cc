// LogicCore with a live comet membership (SetComets): a comet is dropped when it leaves the
// membership, and never because a restarted router lost its online report (which, with static
// membership, is how a dead comet is noticed); goim's comets (records without our epoch) are
// counted by their discovery metadata.
#include <future>

#include <gtest/gtest.h>

#include "logic/logic_server.h"
#include "pkg/hash/ketama.h"
#include "pkg/queue/embedded.h"
#include "router/router_server.h"

namespace goim::logic {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<router::RouterServer> StartRouter(const std::string& addr) {
  router::Config rc;
  rc.rpcServer.addr = addr;
  auto r = std::make_unique<router::RouterServer>(rc);
  r->Start();
  return r;
}

size_t Found(LogicCore& core, const std::string& key) {
  std::promise<size_t> p;
  core.router().GetKeys({key}, [&](const std::string& err, auto s) {
    EXPECT_EQ(err, "");
    p.set_value(s.size());
  });
  return p.get_future().get();
}

void Refresh(LogicCore& core) {
  std::promise<void> p;
  core.RefreshOnline([&] { p.set_value(); });
  p.get_future().wait();
}

TEST(LiveComets, ARouterRestartDoesNotMakeLiveCometsLoseTheirSessions) {
  auto ra = StartRouter("127.0.0.1:0");
  auto rb = StartRouter("127.0.0.1:0");
  std::string a = "127.0.0.1:" + std::to_string(ra->port());
  std::string b = "127.0.0.1:" + std::to_string(rb->port());
  // ra holds comet-1's online report (ketama of the server name), rb the session of key.
  hash::Ketama ring({"ra", "rb"});
  std::map<std::string, std::string> nodes = {{"ra", a}, {"rb", b}};
  if (ring.Get("comet-1") != "ra") std::swap(nodes["ra"], nodes["rb"]);
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    if (ring.Get("k" + std::to_string(i)) == "rb") key = "k" + std::to_string(i);
  }
  auto& report_holder = nodes["ra"] == a ? ra : rb;

  auto queue = queue::Embedded::Create(1, 100);
  auto producer = queue->NewProducer();
  Config cfg;
  cfg.httpServer.addr = "127.0.0.1:0";
  cfg.rpcServer.addr = "127.0.0.1:0";
  cfg.online.tick = 5ms;  // a report is kept two ticks when the routers lack it
  cfg.router.nodes = nodes;
  LogicServer server(cfg, producer.get());
  server.Start();
  LogicCore& core = server.core();
  discovery::Instance comet;
  comet.hostname = "comet-1";
  core.SetComets({comet});

  router::Session s;
  s.set_key(key);
  s.set_mid(5);
  s.set_server("comet-1");
  std::promise<std::string> put;
  core.router().Put(s,
                    [&](const std::string& err, RouterClient::PutResult) { put.set_value(err); });
  ASSERT_EQ(put.get_future().get(), "");
  goim::logic::OnlineReq report;
  report.set_server("comet-1");
  report.set_conncount(1);
  std::promise<void> renewed;
  core.RenewOnline(report, [&](Result r, auto) {
    EXPECT_TRUE(r.ok()) << r.message;
    renewed.set_value();
  });
  renewed.get_future().wait();

  // The router holding the report restarts (empty), on the same port.
  std::string addr = "127.0.0.1:" + std::to_string(report_holder->port());
  report_holder->Stop();
  report_holder = StartRouter(addr);
  // Two ticks later the report is gone from everywhere: a static logic would take the comet for
  // dead and delete its sessions; the membership says it is alive.
  std::this_thread::sleep_for(50ms);
  Refresh(core);
  EXPECT_EQ(Found(core, key), 1u);
  EXPECT_EQ(core.Comets().size(), 1u);

  // Leaving the membership is what drops it.
  core.SetComets({});
  ASSERT_TRUE([&] {
    for (int i = 0; i < 200; ++i) {
      if (Found(core, key) == 0) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }());
  server.Stop();
}

// goim's comet sends RenewOnline with room counts only and publishes conn_count and ip_count in
// its discovery metadata: the totals, /goim/nodes/instances and the balancer take them from there.
TEST(LiveComets, GoimCometsAreCountedByTheirDiscoveryMetadata) {
  auto r = StartRouter("127.0.0.1:0");
  auto queue = queue::Embedded::Create(1, 100);
  auto producer = queue->NewProducer();
  Config cfg;
  cfg.httpServer.addr = "127.0.0.1:0";
  cfg.rpcServer.addr = "127.0.0.1:0";
  cfg.router.nodes = {{"r", "127.0.0.1:" + std::to_string(r->port())}};
  LogicServer server(cfg, producer.get());
  server.Start();
  LogicCore& core = server.core();
  discovery::Instance goim, ours;
  goim.hostname = "goim-comet";  // no epoch: goim's record
  goim.conn_count = 7;
  goim.ip_count = 3;
  ours.hostname = "our-comet";
  ours.epoch = discovery::NewEpoch();
  ours.conn_count = 100;  // stale metadata: ours count by their reports
  core.SetComets({goim, ours});
  auto renew = [&](const std::string& server, int32_t conns, int32_t ips) {
    goim::logic::OnlineReq report;
    report.set_server(server);
    (*report.mutable_roomcount())["live://1"] = 2;
    report.set_conncount(conns);
    report.set_ipcount(ips);
    std::promise<void> done;
    core.RenewOnline(report, [&](Result res, auto) {
      EXPECT_TRUE(res.ok()) << res.message;
      done.set_value();
    });
    done.get_future().wait();
  };
  renew("goim-comet", 0, 0);  // goim's report: no counts
  renew("our-comet", 2, 1);
  EXPECT_EQ(core.OnlineTotal(), (std::pair<int64_t, int64_t>{3 + 1, 7 + 2}));
  EXPECT_EQ(core.OnlineRoom("live", {"1"}).at("1"), 4) << "rooms from both reports";
  for (const auto& [in, online] : core.Instances()) {
    if (in.hostname == "goim-comet") {
      EXPECT_EQ(online.conn_count(), 7);
      EXPECT_EQ(online.ip_count(), 3);
    } else {
      EXPECT_EQ(online.conn_count(), 2);
    }
  }
  // goim's comet publishes new counts (dis.Set every 10 s): the totals follow.
  goim.conn_count = 9;
  core.SetComets({goim, ours});
  EXPECT_EQ(core.OnlineTotal().second, 9 + 2);
  server.Stop();
}

}  // namespace
}  // namespace goim::logic
