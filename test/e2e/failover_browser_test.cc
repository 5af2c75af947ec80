// goim.js fails over when its comet dies: a cluster with its membership in etcd (router, logic,
// job, and two comets on 127.0.0.2 and 127.0.0.3 sharing one WebSocket port, as goim.js dials
// every node on the port /goim/nodes/weighted gives), the danmaku page in headless chromium
// (test/browser/failover_test.js). The comet the page connected to is killed with -9; the page
// must reconnect to the other comet on its own and show a room push made after that. Skipped
// with the reason when etcd, node, playwright-core or chromium is missing.
#include <stdio.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "pkg/net/http_client.h"
#include "test/e2e/member_cluster.h"
#include "test/support/etcd_server.h"

namespace goim::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// Whether logic's /goim/nodes/weighted (web) names every one of hosts.
bool Listed(const MemberCluster& c, const std::vector<std::string>& hosts) {
  net::HttpClient http(c.node("logic-1").http, 2s);
  auto r = http.Get("/goim/nodes/weighted?platform=web");
  for (const auto& h : hosts) {
    if (r.body.find("\"" + h + "\"") == std::string::npos) return false;
  }
  return r.status == 200;
}

TEST(MembershipE2E, GoimJsReconnectsToALiveCometWhenItsCometDies) {
  if (!testing::EtcdServer::Available()) GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
  const std::string node = GOIM_NODE;
  if (node.empty() || node.find("NOTFOUND") != std::string::npos)
    GTEST_SKIP() << "node is not installed (scripts/setup.sh)";
  MemberCluster::Options o;
  o.hosts = {{"", "127.0.0.1"}, {"", "127.0.0.2"}, {"", "127.0.0.3"}};
  o.ttl = "3s";
  o.ws_port = FreePort();
  o.static_dir = std::string(GOIM_SOURCE_DIR) + "/examples/danmaku";
  MemberCluster c(o);
  c.Start();
  c.Add("router", "router-1", 0);
  c.Add("logic", "logic-1", 0);
  c.Add("job", "job-1", 0);
  // Named by their IPs: /goim/nodes/weighted (web, no host domain) hands out the names.
  c.Add("comet", "127.0.0.2", 1);
  c.Add("comet", "127.0.0.3", 2);
  ASSERT_TRUE(Eventually([&] { return Listed(c, {"127.0.0.2", "127.0.0.3"}); }));

  std::string cmd = node + " " + GOIM_SOURCE_DIR + "/test/browser/failover_test.js http://" +
                    c.node("logic-1").http + " '' 2>&1";
  FILE* out = popen(cmd.c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string log, killed, back;
  Clock::time_point t_kill;
  char line[4096];
  while (fgets(line, sizeof line, out)) {
    std::string l(line);
    log += l;
    std::cout << "[ browser  ] " << l << std::flush;
    if (l.rfind("connected ", 0) == 0 && killed.empty()) {
      killed = l.substr(10, l.find_last_not_of("\r\n") - 9);
      t_kill = Clock::now();
      c.Kill(killed);
    } else if (l.rfind("reconnected ", 0) == 0) {
      back = l.substr(12, l.find_last_not_of("\r\n") - 11);
      std::cout
          << "[ measure  ] comet kill -9 -> the page open on another comet: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_kill).count()
          << " ms" << std::endl;
    }
  }
  int status = pclose(out);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) GTEST_SKIP() << log;
  ASSERT_EQ(code, 0) << log;
  ASSERT_FALSE(killed.empty()) << log;
  EXPECT_NE(back, killed);
  EXPECT_TRUE(back == "127.0.0.2" || back == "127.0.0.3") << back;
  // And the dead comet left the membership (lease TTL), while the live one stays listed.
  EXPECT_TRUE(Eventually([&] { return !Listed(c, {killed}) && Listed(c, {back}); }, 10s));
}

}  // namespace
}  // namespace goim::e2e
