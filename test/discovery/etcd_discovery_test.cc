// pkg/discovery's etcd backend against a real etcd (Debian's etcd-server, started per test on
// free ports): registration with a lease, watching a prefix, bad values, an unreachable etcd at
// start, and an etcd lost and back (membership kept, then resynced; registrations re-made).
#include <signal.h>

#include <algorithm>
#include <mutex>

#include <gtest/gtest.h>

#include "pkg/discovery/etcd_client.h"
#include "pkg/discovery/etcd_registration.h"
#include "pkg/discovery/instance_json.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"
#include "test/e2e/harness.h"
#include "test/support/etcd_server.h"

namespace goim::discovery {
namespace {

using namespace std::chrono_literals;
using e2e::Eventually;

// What a watch handed to its callback, read from the test thread.
struct Seen {
  std::mutex mu;
  std::vector<Instance> list;
  int calls = 0;
  Watch::Fn Fn() {
    return [this](const std::vector<Instance>& l) {
      std::lock_guard<std::mutex> lock(mu);
      list = l;
      ++calls;
    };
  }
  std::vector<std::string> Hosts() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out;
    for (const auto& in : list) out.push_back(in.hostname);
    return out;
  }
  std::optional<Instance> Get(const std::string& host) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& in : list) {
      if (in.hostname == host) return in;
    }
    return std::nullopt;
  }
};

Instance Node(const std::string& appid, const std::string& host, const std::string& grpc) {
  Instance in;
  in.appid = appid;
  in.hostname = host;
  in.grpc = grpc;
  in.addrs = {"127.0.0.1"};
  in.epoch = NewEpoch();
  return in;
}

class EtcdDiscovery : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::EtcdServer::Available())
      GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
    etcd_ = std::make_unique<testing::EtcdServer>();
    etcd_->Start();
    cfg_.etcd.endpoints = {etcd_->endpoint()};
    cfg_.etcd.ttl = 2s;  // etcd's shortest; expiry shows within a test
    cfg_.etcd.dialTimeout = 1s;
    ASSERT_EQ(cfg_.Validate(), "");
  }
  std::unique_ptr<testing::EtcdServer> etcd_;
  Config cfg_;
};

TEST_F(EtcdDiscovery, WatchSeesRegistrationsUpdatesAndLeaves) {
  auto backend = NewBackend(cfg_, {});
  EXPECT_STREQ(backend->name(), "etcd");
  Seen comets, routers;
  auto wc = backend->WatchApp(kComet, comets.Fn());
  auto wr = backend->WatchApp(kRouter, routers.Fn());
  EXPECT_EQ(comets.calls, 1);  // the initial (empty) list, before WatchApp returned
  EXPECT_TRUE(comets.Hosts().empty());

  Instance c1 = Node(kComet, "comet-1", "127.0.0.1:3109");
  auto reg = backend->Register(c1);
  ASSERT_TRUE(Eventually([&] { return comets.Hosts() == std::vector<std::string>{"comet-1"}; }));
  EXPECT_EQ(comets.Get("comet-1")->grpc, "127.0.0.1:3109");
  EXPECT_EQ(comets.Get("comet-1")->epoch, c1.epoch);
  EXPECT_TRUE(routers.Hosts().empty());  // another application's key space
  EXPECT_TRUE(reg->healthy());

  c1.conn_count = 42;
  reg->Update(c1);
  ASSERT_TRUE(Eventually([&] { return comets.Get("comet-1")->conn_count == 42; }));

  // A second watcher joining late reads the current list at once.
  Seen late;
  auto wl = backend->WatchApp(kComet, late.Fn());
  EXPECT_EQ(late.Hosts(), std::vector<std::string>{"comet-1"});

  reg->Close();  // revokes the lease: gone at once, not after the TTL
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().empty(); }, 1500ms));
}

// Several applications on one stream: their changes reach the callback in the store's order. A
// router's table rebuild depends on it: the comets it waits for must include every comet that
// registered before a router left (router/membership.cc).
TEST_F(EtcdDiscovery, WatchAppsHandsOnChangesInTheStoresOrder) {
  auto backend = NewBackend(cfg_, {});
  auto router = backend->Register(Node(kRouter, "router-2", "127.0.0.1:4129"));
  std::mutex mu;
  std::vector<std::string> seen;  // "<appid>:<hosts>", in the order the callback saw them
  auto w = backend->WatchApps({kComet, kRouter}, [&](const std::string& app, const auto& list) {
    std::string hosts;
    for (const auto& in : list) hosts += (hosts.empty() ? "" : ",") + in.hostname;
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(app + ":" + hosts);
  });
  auto Seen = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return seen;
  };
  // Both lists before WatchApps returned, in the order asked.
  EXPECT_EQ(Seen(), (std::vector<std::string>{"goim.comet:", "goim.router:router-2"}));

  auto& m = metrics::Registry::Default();
  const std::string bad = "goim_discovery_bad_values_total{app=\"goim.comet\"}";
  double bad_before = m.Get(bad);
  auto logic = backend->Register(Node(kLogic, "logic-1", "127.0.0.1:3119"));  // not followed
  for (int i = 1; i <= 5; ++i) {
    auto comet = backend->Register(Node(kComet, "comet-" + std::to_string(i), "127.0.0.1:1"));
    router->Close();  // the router leaves right after the comet registered
    ASSERT_TRUE(Eventually([&] { return Seen().back() == "goim.router:"; })) << i;
    auto s = Seen();
    std::string joined = "goim.comet:comet-" + std::to_string(i);
    auto at = std::find(s.begin(), s.end(), joined);
    EXPECT_NE(at, s.end()) << joined;
    EXPECT_LT(at - s.begin(), static_cast<long>(s.size()) - 1) << "the comet came after the leave";
    comet->Close();
    ASSERT_TRUE(Eventually([&] { return Seen().back() == "goim.comet:"; })) << i;
    router = backend->Register(Node(kRouter, "router-2", "127.0.0.1:4129"));
    ASSERT_TRUE(Eventually([&] { return Seen().back() == "goim.router:router-2"; })) << i;
  }
  for (const auto& entry : Seen()) EXPECT_EQ(entry.find("logic"), std::string::npos) << entry;
  EXPECT_EQ(m.Get(bad), bad_before);   // another application's key is passed over, not "bad"
  EXPECT_EQ(w->Current().size(), 1u);  // router-2
}

// A watch that starts behind the store gets the backlog from etcd in one response; it still hands
// on each change in turn, so a router that joined and left meanwhile is seen doing both (logic
// may have placed keys on it, which a router's rebuild must then wait for).
TEST_F(EtcdDiscovery, AWatchCatchingUpHandsOnEachChangeInTurn) {
  auto backend = NewBackend(cfg_, {});
  std::mutex mu;
  std::vector<std::string> seen;
  std::unique_ptr<Registration> comet;
  auto w = backend->WatchApps({kComet, kRouter}, [&](const std::string& app, const auto& list) {
    std::string hosts;
    for (const auto& in : list) hosts += (hosts.empty() ? "" : ",") + in.hostname;
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(app + ":" + hosts);
    }
    if (app == kRouter && !comet) {
      // The initial lists are being handed on; the watch stream does not exist yet, so these
      // changes are behind it when it starts.
      backend->Register(Node(kRouter, "router-2", "127.0.0.1:4129"))->Close();
      comet = backend->Register(Node(kComet, "comet-1", "127.0.0.1:3109"));
    }
  });
  auto Seen = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return seen;
  };
  ASSERT_TRUE(Eventually([&] {
    auto s = Seen();
    return std::find(s.begin(), s.end(), "goim.comet:comet-1") != s.end();
  }));
  EXPECT_EQ(Seen(), (std::vector<std::string>{"goim.comet:", "goim.router:", "goim.router:router-2",
                                              "goim.router:", "goim.comet:comet-1"}));
}

TEST_F(EtcdDiscovery, RegistrationOutlivesItsTtlAndAnUnrenewedLeaseExpires) {
  auto backend = NewBackend(cfg_, {});
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  auto reg = backend->Register(Node(kComet, "kept", "127.0.0.1:1"));
  // A lease nobody renews (a node that died): its key goes after the TTL.
  EtcdClient raw({etcd_->endpoint()}, 1s);
  int64_t lease = 0, ttl = 0;
  ASSERT_TRUE(raw.Grant(2, &lease, &ttl).ok());
  ASSERT_TRUE(raw.Put(cfg_.etcd.prefix + "/goim.comet/dead",
                      EncodeInstance(Node(kComet, "dead", "127.0.0.1:2")), lease)
                  .ok());
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().size() == 2; }));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return comets.Hosts() == std::vector<std::string>{"kept"}; }, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1s);
  // Two more TTLs: the renewed one is still there.
  auto until = std::chrono::steady_clock::now() + 4s;
  EXPECT_FALSE(Eventually([&] { return comets.Hosts().size() != 1; },
                          std::chrono::duration_cast<std::chrono::milliseconds>(
                              until - std::chrono::steady_clock::now())));
  EXPECT_TRUE(reg->healthy());
}

TEST_F(EtcdDiscovery, ForeignAndMalformedValuesAreSkippedAndCounted) {
  auto backend = NewBackend(cfg_, {});
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  const std::string dir = cfg_.etcd.prefix + "/goim.comet/";
  auto& m = metrics::Registry::Default();
  const std::string bad = "goim_discovery_bad_values_total{app=\"goim.comet\"}";
  double before = m.Get(bad);
  EtcdClient raw({etcd_->endpoint()}, 1s);
  ASSERT_TRUE(raw.Put(dir + "good", EncodeInstance(Node(kComet, "good", "127.0.0.1:1"))).ok());
  ASSERT_TRUE(raw.Put(dir + "garbage", "\x01\x02 not json").ok());
  ASSERT_TRUE(raw.Put(dir + "foreign", R"({"some":"other","app":1})").ok());
  ASSERT_TRUE(raw.Put(dir + "logic", EncodeInstance(Node(kLogic, "logic", "127.0.0.1:3"))).ok());
  ASSERT_TRUE(raw.Put(dir + "sub/dir", EncodeInstance(Node(kComet, "dir", "127.0.0.1:4"))).ok());
  ASSERT_TRUE(Eventually([&] { return m.Get(bad) - before >= 4; }));
  EXPECT_EQ(comets.Hosts(), std::vector<std::string>{"good"});
  // A valid instance overwritten with garbage leaves the membership.
  ASSERT_TRUE(raw.Put(dir + "good", "{").ok());
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().empty(); }));
  EXPECT_EQ(m.Get(bad) - before, 5);
  // The same values in the initial read are skipped too.
  Seen again;
  auto w2 = backend->WatchApp(kComet, again.Fn());
  EXPECT_TRUE(again.Hosts().empty());
  EXPECT_EQ(m.Get(bad) - before, 10);
}

TEST(EtcdDiscoveryDown, UnreachableEtcdAtStartIsAClearError) {
  Config cfg;
  int port = e2e::FreePort();  // reserved, nobody listens
  cfg.etcd.endpoints = {e2e::Loopback(port)};
  cfg.etcd.dialTimeout = 300ms;
  auto backend = NewBackend(cfg, {});
  try {
    backend->Register(Node(kComet, "c", "127.0.0.1:1"));
    FAIL() << "registered against a closed port";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("cannot register /goim/goim.comet/c"), std::string::npos) << what;
    EXPECT_NE(what.find(e2e::Loopback(port)), std::string::npos) << what;
  }
  EXPECT_THROW(backend->WatchApp(kComet, nullptr), std::runtime_error);
}

TEST_F(EtcdDiscovery, LostEtcdKeepsTheMembershipThenResyncsAndReRegisters) {
  auto backend = NewBackend(cfg_, {});
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  std::atomic<int> lapses{0}, recoveries{0};
  auto reg = backend->Register(Node(kComet, "comet-1", "127.0.0.1:1"),
                               [&](bool healthy) { (healthy ? recoveries : lapses)++; });
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().size() == 1; }));
  auto& m = metrics::Registry::Default();
  const std::string connected = "goim_discovery_watch_connected{app=\"goim.comet\"}";
  EXPECT_EQ(m.Get(connected), 1);

  etcd_->Stop(SIGKILL);
  ASSERT_TRUE(Eventually([&] { return !w->connected(); }, 10s));
  EXPECT_EQ(m.Get(connected), 0);
  EXPECT_EQ(comets.Hosts(), std::vector<std::string>{"comet-1"});  // last known list stays
  // Renewals fail for a whole TTL: the registration reports it lapsed.
  ASSERT_TRUE(Eventually([&] { return !reg->healthy(); }, 10s));
  EXPECT_EQ(lapses.load(), 1);

  etcd_->Start();  // same data, same ports
  ASSERT_TRUE(Eventually([&] { return w->connected() && reg->healthy(); }, 20s));
  EXPECT_EQ(recoveries.load(), 1);
  // Changes made after the restart reach the watch (it watches again after the resync).
  auto reg2 = backend->Register(Node(kComet, "comet-2", "127.0.0.1:2"));
  ASSERT_TRUE(Eventually(
      [&] {
        return comets.Hosts() == std::vector<std::string>{"comet-1", "comet-2"};
      },
      10s));
  // comet-1's record is live under a lease that is renewed: still there after two TTLs.
  EXPECT_FALSE(Eventually([&] { return comets.Hosts().size() != 2; }, 4500ms));
}

}  // namespace
}  // namespace goim::discovery
