// Membership and self-healing end to end: real processes with their membership in etcd and a
// real Kafka broker. On the test's loopback: a comet killed with -9 leaves every answer within
// the lease TTL + 2 s and comes back. On three hosts (network namespaces, as root): routers,
// comets, logics, jobs and etcd killed with -9 and restarted mid-stream, and a router added,
// while pushes flow; every push answered code 0 to a live client must arrive. Measures (printed
// as "[ measure  ]"): router restart -> key pushes delivered, comet kill -> gone from
// /goim/nodes/weighted, and the code-0-but-lost pushes of each fault (must be 0).
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include "api/router.grpc.pb.h"
#include "pkg/hash/ketama.h"
#include "pkg/net/http_client.h"
#include "test/e2e/cluster.h"
#include "test/e2e/member_cluster.h"
#include "test/e2e/push_ledger.h"

namespace goim::e2e {
namespace {

constexpr auto kTtl = 3s;

void Measure(const std::string& what, Clock::duration d) {
  std::cout << "[ measure  ] " << what << ": "
            << std::chrono::duration_cast<std::chrono::milliseconds>(d).count() << " ms"
            << std::endl;
}

// Whether every logic's /goim/nodes/weighted (web: comet domains) names the comet.
bool Listed(MemberCluster& c, const std::string& comet) {
  for (const auto& l : c.Names("logic")) {
    net::HttpClient http(c.node(l).http, 2s);
    auto r = http.Get("/goim/nodes/weighted?platform=web");
    if (r.body.find("\"" + comet + ".goim.io\"") == std::string::npos) return false;
  }
  return true;
}
bool Unlisted(MemberCluster& c, const std::string& comet) {
  for (const auto& l : c.Names("logic")) {
    net::HttpClient http(c.node(l).http, 2s);
    auto r = http.Get("/goim/nodes/weighted?platform=web");
    if (r.status != 200 || r.body.find("\"" + comet + ".goim.io\"") != std::string::npos)
      return false;
    auto i = http.Get("/goim/nodes/instances");
    if (i.status != 200 || i.body.find("\"hostname\":\"" + comet + "\"") != std::string::npos)
      return false;
  }
  return true;
}

double Metric(const MemberCluster& c, const std::string& node, const std::string& name) {
  double v = MetricAt(c.node(node).metrics, name);
  return v < 0 ? 0 : v;
}

void Report(const std::string& fault, const PushLedger::Stats& s) {
  std::cout << "[ measure  ] " << fault << ": pushes=" << s.pushes << " code0=" << s.ok
            << " errors=" << s.failed << " delivered=" << s.delivered
            << " code0_to_killed_comet=" << s.to_dead << " code0_lost=" << s.lost << std::endl;
  std::string examples;
  for (const auto& e : s.lost_examples) examples += "\n  " + e;
  EXPECT_EQ(s.lost, 0) << fault << ": pushes answered code 0 to live clients and lost:" << examples;
}

TEST(MembershipE2E, ADeadCometLeavesWithinTheTtlAndComesBack) {
  if (!testing::EtcdServer::Available()) GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
  MemberCluster c({{{"", "127.0.0.1"}}, "3s"});
  c.Start();
  c.Add("router", "router-1", 0);
  c.Add("logic", "logic-1", 0);
  c.Add("comet", "comet-1", 0);
  c.Add("comet", "comet-2", 0);
  c.Add("job", "job-1", 0);
  ASSERT_TRUE(Eventually([&] { return Listed(c, "comet-1") && Listed(c, "comet-2"); }));
  PushLedger ledger;
  ASSERT_TRUE(ledger.Connect("comet-1", c.node("comet-1").tcp, 10));
  ASSERT_TRUE(ledger.Connect("comet-2", c.node("comet-2").tcp, 10));
  ledger.StartPushing({c.node("logic-1").http}, 20ms);
  ASSERT_TRUE(Eventually([&] { return ledger.Count(Clock::now() - 1h).delivered > 40; }));

  net::HttpClient http(c.node("logic-1").http, 5s);
  std::vector<std::string> dead_keys = ledger.Keys("comet-2");
  double job_counted = Metric(c, "job-1", "goim_job_comet_calls_total{result=\"comet_gone\"}") +
                       Metric(c, "job-1", "goim_job_unknown_server_total");
  auto t_kill = Clock::now();
  c.Kill("comet-2");
  ledger.CometKilled("comet-2");
  // Pushes to the dead comet's keys before it leaves: answered 0 (as goim), counted by job.
  for (int i = 0; i < 3; ++i) http.Post("/goim/push/keys?operation=1000&keys=" + dead_keys[i], "x");
  ASSERT_TRUE(Eventually([&] { return Unlisted(c, "comet-2"); }, kTtl + 5s));
  auto gone = Clock::now() - t_kill;
  Measure("comet kill -> gone from /goim/nodes/weighted and /instances (ttl 3 s)", gone);
  EXPECT_LE(gone, kTtl + 2s);
  // Its online counts went with it.
  ASSERT_TRUE(Eventually(
      [&] {
        return http.Get("/goim/online/total").body.find("\"conn_count\":10") != std::string::npos;
      },
      3s));
  // Job dropped it: the calls for it ended counted, and no retries go on.
  ASSERT_TRUE(Eventually(
      [&] {
        return Metric(c, "job-1", "goim_job_comet_calls_total{result=\"comet_gone\"}") +
                   Metric(c, "job-1", "goim_job_unknown_server_total") - job_counted >=
               3;
      },
      5s));
  double failed = Metric(c, "job-1", "goim_job_comet_calls_total{result=\"failed\"}");
  // After it left, a push to its keys finds no session (counted), rather than a dead comet.
  double missing = Metric(c, "logic-1", "goim_logic_push_no_session_total") +
                   Metric(c, "logic-1", "goim_logic_push_dead_comet_total");
  auto r = http.Post("/goim/push/keys?operation=1000&keys=" + dead_keys[5], "y");
  EXPECT_EQ(r.body, R"({"code":0,"message":""})");
  EXPECT_EQ(Metric(c, "logic-1", "goim_logic_push_no_session_total") +
                Metric(c, "logic-1", "goim_logic_push_dead_comet_total") - missing,
            1);
  std::this_thread::sleep_for(1s);  // a window in which retries would have shown
  EXPECT_EQ(Metric(c, "job-1", "goim_job_comet_calls_total{result=\"failed\"}"), failed);

  // It comes back: listed again, and its new clients get their pushes.
  c.Restart("comet-2");
  ASSERT_TRUE(Eventually([&] { return Listed(c, "comet-2"); }, 10s));
  ASSERT_TRUE(ledger.Connect("comet-2", c.node("comet-2").tcp, 10));
  auto t_back = Clock::now();
  ASSERT_TRUE(Eventually(
      [&] {
        return ledger
            .FirstDelivered(t_back, [](const std::string& k) { return k.rfind("comet-2", 0) == 0; })
            .has_value();
      },
      10s));
  ledger.StopPushing();
  EXPECT_TRUE(ledger.WaitDelivered(10s));
  Report("comet kill -9 and restart (loopback)", ledger.Count(Clock::now() - 1h));
}

// Router.Stats of a router: its key count.
int64_t RouterKeys(const std::string& grpc_addr) {
  auto stub =
      router::Router::NewStub(grpc::CreateChannel(grpc_addr, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 2s);
  router::StatsReq req;
  router::StatsReply reply;
  return stub->Stats(&ctx, req, &reply).ok() ? reply.keys() : -1;
}

TEST(MultiHost, FaultsOfEveryKindLoseNoAcknowledgedPush) {
  std::string why;
  if (!NetHosts::Supported(&why)) GTEST_SKIP() << why;
  if (!testing::EtcdServer::Available()) GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
  NetHosts net(3);
  const auto& h = net.hosts();
  MemberCluster c({h, "3s"});
  c.Start(0);
  c.Add("router", "router-1", 0);
  c.Add("router", "router-2", 1);
  c.Add("logic", "logic-1", 0);
  c.Add("logic", "logic-2", 1);
  for (int i = 1; i <= 3; ++i) c.Add("comet", "comet-" + std::to_string(i), i - 1);
  c.Add("job", "job-1", 0);
  c.Add("job", "job-2", 1);
  ASSERT_TRUE(Eventually(
      [&] { return Listed(c, "comet-1") && Listed(c, "comet-2") && Listed(c, "comet-3"); }));
  PushLedger ledger;
  for (int i = 1; i <= 3; ++i) {
    std::string comet = "comet-" + std::to_string(i);
    ASSERT_TRUE(ledger.Connect(comet, c.node(comet).tcp, 20));
  }
  ledger.StartPushing({c.node("logic-1").http, c.node("logic-2").http}, 10ms);
  ASSERT_TRUE(Eventually([&] { return ledger.Count(Clock::now() - 1h).delivered > 50; }));
  std::vector<std::pair<std::string, Clock::time_point>> faults;
  auto fault = [&](const std::string& name) { faults.emplace_back(name, Clock::now()); };

  // A router: kill -9, back 1 s later as a new process (empty table, new epoch).
  fault("router-2 kill -9 and restart");
  c.Kill("router-2");
  std::this_thread::sleep_for(1s);
  c.Restart("router-2");
  auto t_restart = Clock::now();
  hash::Ketama two({"router-1", "router-2"});
  ASSERT_TRUE(Eventually(
      [&] {
        return ledger
            .FirstDelivered(t_restart,
                            [&](const std::string& k) { return two.Get(k) == "router-2"; })
            .has_value();
      },
      15s));
  Measure("router restart -> first key push to its keys delivered",
          *ledger.FirstDelivered(t_restart, [&](const std::string& k) {
            return two.Get(k) == "router-2";
          }) - t_restart);
  std::this_thread::sleep_for(2s);

  // A comet: kill -9; it leaves within the TTL; back, its clients reconnect.
  fault("comet-3 kill -9 and restart");
  auto t_kill = Clock::now();
  c.Kill("comet-3");
  ledger.CometKilled("comet-3");
  ASSERT_TRUE(Eventually([&] { return Unlisted(c, "comet-3"); }, kTtl + 5s));
  auto gone = Clock::now() - t_kill;
  Measure("comet kill -> gone from /goim/nodes/weighted (ttl 3 s)", gone);
  EXPECT_LE(gone, kTtl + 2s);
  c.Restart("comet-3");
  ASSERT_TRUE(Eventually([&] { return Listed(c, "comet-3"); }, 10s));
  ASSERT_TRUE(ledger.Connect("comet-3", c.node("comet-3").tcp, 20));
  std::this_thread::sleep_for(2s);

  // A logic and a job: kill -9, restart.
  fault("logic-1 kill -9 and restart");
  c.Kill("logic-1");
  std::this_thread::sleep_for(1s);
  c.Restart("logic-1");
  std::this_thread::sleep_for(2s);
  fault("job-1 kill -9 and restart");
  c.Kill("job-1");
  std::this_thread::sleep_for(1s);
  c.Restart("job-1");
  std::this_thread::sleep_for(2s);

  // etcd itself: the membership stays as it was while it is gone.
  fault("etcd kill -9 and restart");
  c.KillEtcd();
  std::this_thread::sleep_for(2s);
  c.RestartEtcd();
  std::this_thread::sleep_for(2s);

  // A third router: it takes about a third of the sessions, and loses none.
  fault("router-3 added");
  c.Add("router", "router-3", 2);
  hash::Ketama three({"router-1", "router-2", "router-3"});
  auto keys = ledger.Keys("", true);
  size_t alive = keys.size(), moved = 0;
  for (const auto& k : keys) moved += three.Get(k) == "router-3";
  // Every live session it owns is replayed to it (by key; mids add their own entries).
  ASSERT_TRUE(
      Eventually([&] { return RouterKeys(c.node("router-3").grpc) == int64_t(moved); }, 10s));
  std::cout << "[ measure  ] router-3 owns " << moved << " of " << alive << " live keys ("
            << 100 * moved / std::max<size_t>(alive, 1) << "%), all held after the replay"
            << std::endl;
  EXPECT_GT(moved, alive / 5);
  EXPECT_LT(moved, alive / 2);
  std::this_thread::sleep_for(3s);
  fault("end");

  ledger.StopPushing();
  EXPECT_TRUE(ledger.WaitDelivered(20s));
  Report("before any fault", ledger.Count(Clock::now() - 1h, faults.front().second));
  for (size_t i = 0; i + 1 < faults.size(); ++i)
    Report(faults[i].first, ledger.Count(faults[i].second, faults[i + 1].second));
}

}  // namespace
}  // namespace goim::e2e
