// A comet in a live membership: its record (gRPC address, connection counts) in etcd, and no new
// client while its registration has lapsed (etcd unreachable for a whole TTL), clients again once
// it is live. Against a real etcd (test/support) and the in-process FakeLogic.
#include <signal.h>

#include <mutex>

#include <gtest/gtest.h>

#include "comet/membership.h"
#include "comet/server.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"
#include "test/comet/fake_logic.h"
#include "test/e2e/harness.h"
#include "test/support/etcd_server.h"
#include "test/support/goim_client.h"

namespace goim {
namespace {

using namespace std::chrono_literals;
using e2e::Eventually;
using testing::Client;

TEST(CometRegister, PublishesItsCountsAndRefusesClientsWhileLapsed) {
  if (!testing::EtcdServer::Available()) GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
  testing::EtcdServer etcd;
  etcd.Start();
  testing::FakeLogic logic;
  logic.Start();
  comet::Config cfg;
  cfg.env.host = "comet-m";
  cfg.env.addrs = {"10.1.1.1"};
  cfg.tcp.bind = {"127.0.0.1:0"};
  cfg.websocket.bind = {"127.0.0.1:0"};
  cfg.rpcServer.addr = "127.0.0.1:0";
  cfg.rpcClient.logic = {logic.addr()};
  cfg.metrics.addr = "";
  cfg.protocol.loops = 1;
  cfg.online.interval = 100ms;
  cfg.discovery.etcd.endpoints = {etcd.endpoint()};
  cfg.discovery.etcd.ttl = 2s;
  cfg.discovery.etcd.dialTimeout = 500ms;
  comet::Server server(cfg);
  server.Start();
  comet::Membership membership(server);
  membership.Start();

  auto backend = discovery::NewBackend(cfg.discovery, {});
  std::mutex mu;
  std::vector<discovery::Instance> seen;
  auto watch = backend->WatchApp(discovery::kComet, [&](const auto& l) {
    std::lock_guard<std::mutex> lock(mu);
    seen = l;
  });
  auto record = [&]() -> std::optional<discovery::Instance> {
    std::lock_guard<std::mutex> lock(mu);
    if (seen.size() != 1) return std::nullopt;
    return seen[0];
  };
  ASSERT_TRUE(record());
  EXPECT_EQ(record()->hostname, "comet-m");
  EXPECT_EQ(record()->grpc, "127.0.0.1:" + std::to_string(server.grpc_port()));
  EXPECT_EQ(record()->addrs, std::vector<std::string>{"10.1.1.1"});

  std::string addr = "127.0.0.1:" + std::to_string(server.tcp_port());
  std::string err;
  auto first = Client::Dial(addr, Client::Transport::kTcp, &err);
  ASSERT_TRUE(first && first->Auth(testing::Token(1, "key-1", "live://1", {1000}))) << err;
  ASSERT_TRUE(Eventually([&] { return record() && record()->conn_count == 1; }));

  // etcd gone for longer than the TTL: the record has lapsed, so new clients are refused.
  auto& m = metrics::Registry::Default();
  double refused = m.Get("goim_comet_refused_unregistered_total");
  etcd.Stop(SIGKILL);
  ASSERT_TRUE(Eventually([&] { return !server.ctx().admitting.load(); }, 10s));
  auto refused_client = Client::Dial(addr, Client::Transport::kTcp, &err);
  ASSERT_TRUE(refused_client);
  EXPECT_TRUE(refused_client->WaitClosed(2s));
  EXPECT_GE(m.Get("goim_comet_refused_unregistered_total") - refused, 1);
  EXPECT_TRUE(first->Heartbeat().has_value());  // the connected client is still served

  etcd.Start();
  ASSERT_TRUE(Eventually([&] { return server.ctx().admitting.load(); }, 15s));
  auto again = Client::Dial(addr, Client::Transport::kTcp, &err);
  ASSERT_TRUE(again && again->Auth(testing::Token(2, "key-2", "live://1", {1000}))) << err;
  watch.reset();
  membership.Stop();
  server.Stop();
  logic.Stop();
}

}  // namespace
}  // namespace goim
