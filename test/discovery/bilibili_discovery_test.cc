// pkg/discovery's bilibili discovery backend against a fake bilibili discovery server
// (test/support/fake_bilibili_discovery: the endpoints goim's SDK calls, with the server's codes):
// the register form, the renew cadence, register again after -404 (a lapse only past evictAfter),
// cancel on close, polls handing on changes (an application's last instance leaving too), a
// foreign or malformed instance skipped (counted, logged), a node that does not answer passed
// over, a server unreachable at start, a server lost later (membership kept, then followed again)
// and one restarted empty (instances kept for rejoinGrace).
#include <atomic>
#include <mutex>
#include <optional>

#include <glog/logging.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/discovery/instance_json.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"
#include "test/e2e/harness.h"
#include "test/support/fake_bilibili_discovery.h"

namespace goim::discovery {
namespace {

using namespace std::chrono_literals;
using e2e::Eventually;
using testing::FakeBilibiliDiscovery;

struct Seen {
  std::mutex mu;
  std::vector<Instance> list;
  std::vector<std::vector<std::string>> history;  // the hosts of every list handed on
  int calls = 0;
  Watch::Fn Fn() {
    return [this](const std::vector<Instance>& l) {
      std::lock_guard<std::mutex> lock(mu);
      list = l;
      ++calls;
      history.emplace_back();
      for (const auto& in : l) history.back().push_back(in.hostname);
    };
  }
  size_t Handed() {
    std::lock_guard<std::mutex> lock(mu);
    return history.size();
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

// The log lines of WARNING and above, for the checks that a skip is logged.
class Lines : public google::LogSink {
 public:
  Lines() { google::AddLogSink(this); }
  ~Lines() override { google::RemoveLogSink(this); }
  void send(google::LogSeverity, const char*, const char*, int, const struct ::tm*,
            const char* message, size_t len) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.emplace_back(message, len);
  }
  bool Has(const std::string& part) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& l : lines_)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

Instance Node(const std::string& appid, const std::string& host, const std::string& grpc) {
  Instance in;
  in.appid = appid;
  in.hostname = host;
  in.region = "sh";
  in.zone = "sh001";
  in.env = "dev";
  in.grpc = grpc;
  in.addrs = {"10.0.0.1", "10.0.0.2"};
  in.weight = 7;
  in.conn_count = 3;
  in.ip_count = 2;
  in.epoch = NewEpoch();
  return in;
}

// What goim's comet registers (metadata without counts until its first dis.Set).
json::Json GoimComet(const std::string& host, const std::string& grpc) {
  return {{"region", "sh"},
          {"zone", "sh001"},
          {"env", "dev"},
          {"appid", "goim.comet"},
          {"hostname", host},
          {"addrs", {"grpc://" + grpc}},
          {"version", ""},
          {"metadata", {{"weight", "10"}, {"offline", "false"}, {"addrs", "47.89.10.97"}}},
          {"status", 1},
          {"reg_timestamp", 1},
          {"up_timestamp", 1},
          {"renew_timestamp", 1},
          {"dirty_timestamp", 1545750122311688676},
          {"latest_timestamp", 0}};
}

class BilibiliDiscovery : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeBilibiliDiscovery>(2s);
    cfg_.bilibili.nodes = {fake_->addr()};
    cfg_.bilibili.renewInterval = 200ms;
    cfg_.bilibili.timeout = 1s;
    cfg_.bilibili.pollTimeout = 5s;
    cfg_.bilibili.retry = 100ms;
    cfg_.bilibili.evictAfter = 600ms;  // 3 renewals, as the server's 90 s are to goim's 30 s
    cfg_.bilibili.rejoinGrace = 0ms;
    ASSERT_EQ(cfg_.Validate(), "");
    env_.deployEnv = "dev";
    env_.host = "watcher";
  }
  std::unique_ptr<Backend> NewB() { return NewBackend(cfg_, env_); }
  std::unique_ptr<FakeBilibiliDiscovery> fake_;
  Config cfg_;
  conf::Env env_;
};

TEST_F(BilibiliDiscovery, RegisterSendsGoimsFields) {
  auto backend = NewB();
  EXPECT_STREQ(backend->name(), "bilibili");
  Instance self = Node(kComet, "comet-1", "10.1.1.1:3109");
  auto reg = backend->Register(self);
  auto regs = fake_->Requests("/discovery/register");
  ASSERT_EQ(regs.size(), 1u);
  const auto& r = regs[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.Get("region"), "sh");
  EXPECT_EQ(r.Get("zone"), "sh001");
  EXPECT_EQ(r.Get("env"), "dev");
  EXPECT_EQ(r.Get("appid"), "goim.comet");
  EXPECT_EQ(r.Get("hostname"), "comet-1");
  EXPECT_EQ(r.Get("addrs"), "grpc://10.1.1.1:3109");
  EXPECT_EQ(r.Get("status"), "1");
  json::Json meta;
  std::string err;
  ASSERT_TRUE(json::Parse(r.Get("metadata"), &meta, &err)) << err;
  // goim's metadata keys, every value a string (the server keeps map[string]string).
  EXPECT_EQ(meta["addrs"], "10.0.0.1,10.0.0.2");
  EXPECT_EQ(meta["weight"], "7");
  EXPECT_EQ(meta["offline"], "false");
  EXPECT_EQ(meta["conn_count"], "3");
  EXPECT_EQ(meta["ip_count"], "2");
  EXPECT_EQ(meta["epoch"], self.epoch);
  EXPECT_FALSE(fake_->Find("dev", kComet, "comet-1").is_null());
  EXPECT_TRUE(reg->healthy());

  // A node that serves no gRPC (job) still sends an address: the server refuses a register
  // without one (-400, bilibili discovery v1.2.0).
  auto job = backend->Register(Node(kJob, "job-1", ""));
  auto jobs = fake_->Requests("/discovery/register");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[1].Get("addrs"), "goim.job://job-1");
  EXPECT_FALSE(fake_->Find("dev", kJob, "job-1").is_null());
}

TEST_F(BilibiliDiscovery, RenewsEachIntervalUpdatesByRegisteringAndCancelsOnClose) {
  auto backend = NewB();
  auto reg = backend->Register(Node(kLogic, "logic-1", "10.1.1.2:3119"));
  ASSERT_TRUE(Eventually([&] { return fake_->Requests("/discovery/renew").size() >= 4; }, 10s));
  auto renews = fake_->Requests("/discovery/renew");
  for (size_t i = 1; i < renews.size(); ++i) {
    // Every renewInterval, not faster (a busy machine may make it slower).
    EXPECT_GE(renews[i].at - renews[i - 1].at, 150ms) << "renew " << i;
    EXPECT_EQ(renews[i].Get("hostname"), "logic-1");
    EXPECT_EQ(renews[i].Get("appid"), "goim.logic");
    EXPECT_EQ(renews[i].Get("env"), "dev");
    EXPECT_EQ(renews[i].Get("zone"), "sh001");
  }
  EXPECT_EQ(fake_->Requests("/discovery/register").size(), 1u) << "renewals only";

  Instance changed = Node(kLogic, "logic-1", "10.1.1.2:3119");
  changed.conn_count = 42;
  reg->Update(changed);
  ASSERT_TRUE(Eventually([&] {
    json::Json rec = fake_->Find("dev", kLogic, "logic-1");
    return !rec.is_null() && rec["metadata"]["conn_count"] == "42";
  }));

  reg->Close();
  auto cancels = fake_->Requests("/discovery/cancel");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].Get("hostname"), "logic-1");
  EXPECT_EQ(cancels[0].Get("appid"), "goim.logic");
  EXPECT_TRUE(fake_->Find("dev", kLogic, "logic-1").is_null());
  size_t renewed = fake_->Requests("/discovery/renew").size();
  std::this_thread::sleep_for(400ms);  // two intervals: nothing more once closed
  EXPECT_EQ(fake_->Requests("/discovery/renew").size(), renewed);
}

// A renewal answered -404 within evictAfter of the last good one: the server restarted or lost
// the instance (it evicts only after 90 s without a renewal). Registered again at once, and no
// lapse: the other nodes keep listing this one meanwhile (rejoinGrace), and a lapse would make a
// router rebuild its table for nothing (seen against bilibili discovery v1.2.0 restarted).
TEST_F(BilibiliDiscovery, ARenewalAnsweredNotFoundRegistersAgainWithoutALapse) {
  Lines lines;
  auto& m = metrics::Registry::Default();
  double lost_before = m.Get("goim_discovery_lease_lost_total");
  auto backend = NewB();
  std::atomic<int> lapses{0}, recoveries{0};
  auto reg = backend->Register(Node(kComet, "comet-1", "10.1.1.1:3109"),
                               [&](bool healthy) { (healthy ? recoveries : lapses)++; });
  fake_->Evict("dev", kComet, "comet-1");
  // The next renewal gets -404: the instance is registered again at once.
  ASSERT_TRUE(Eventually([&] { return !fake_->Find("dev", kComet, "comet-1").is_null(); }, 10s));
  EXPECT_EQ(fake_->Requests("/discovery/register").size(), 2u);
  EXPECT_TRUE(lines.Has("no longer had this node (restarted?), registering again"));
  EXPECT_EQ(lapses.load(), 0);
  EXPECT_EQ(recoveries.load(), 0);
  EXPECT_TRUE(reg->healthy());
  EXPECT_EQ(m.Get("goim_discovery_lease_lost_total"), lost_before);
}

TEST_F(BilibiliDiscovery, WatchFollowsPollsAndWaitsForAnAbsentApplication) {
  auto backend = NewB();
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  EXPECT_EQ(comets.calls, 1) << "the current (empty) list before WatchApp returns";
  EXPECT_TRUE(comets.Hosts().empty());
  EXPECT_TRUE(w->connected());

  // Nobody registered yet: the poll is held (the application listed under error["-404"] when
  // answered) and answered when one registers.
  fake_->Put("dev", kComet, "sh001", "goim-comet-a", GoimComet("goim-comet-a", "10.2.0.1:3109"));
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().size() == 1; }));
  auto a = comets.Get("goim-comet-a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->grpc, "10.2.0.1:3109");
  EXPECT_EQ(a->addrs, std::vector<std::string>{"47.89.10.97"});
  EXPECT_EQ(a->conn_count, 0) << "goim's comet registers without counts";
  EXPECT_TRUE(a->epoch.empty());
  EXPECT_EQ(a->updated_ns, 1545750122311688676) << "dirty_timestamp stands in";

  // Now held polls answer with the changes.
  auto backend2 = NewB();
  auto reg = backend2->Register(Node(kComet, "comet-b", "10.2.0.2:3109"));
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().size() == 2; }));
  EXPECT_EQ(comets.Get("comet-b")->conn_count, 3);
  json::Json counted = GoimComet("goim-comet-a", "10.2.0.1:3109");
  counted["metadata"]["conn_count"] = "9";
  counted["metadata"]["ip_count"] = "4";
  fake_->Put("dev", kComet, "sh001", "goim-comet-a", counted);  // goim's dis.Set
  ASSERT_TRUE(Eventually([&] {
    auto in = comets.Get("goim-comet-a");
    return in && in->conn_count == 9 && in->ip_count == 4;
  }));
  fake_->Evict("dev", kComet, "goim-comet-a");
  ASSERT_TRUE(Eventually([&] { return comets.Hosts() == std::vector<std::string>{"comet-b"}; }));
  // The last instance leaving answers no held poll (the server's broadcast cannot read the
  // application any more): the -304 that ends the poll makes the watch read it again.
  size_t recheck_fetches = fake_->Requests("/discovery/fetch").size();
  reg->Close();
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().empty(); }));
  EXPECT_GT(fake_->Requests("/discovery/fetch").size(), recheck_fetches);

  auto polls = fake_->Requests("/discovery/polls");
  ASSERT_FALSE(polls.empty());
  for (const auto& p : polls) {
    EXPECT_EQ(p.Get("env"), "dev");
    EXPECT_EQ(p.Get("appid"), "goim.comet");
    EXPECT_FALSE(p.Get("hostname").empty());
    EXPECT_FALSE(p.Get("latest_timestamp").empty());
  }
}

TEST_F(BilibiliDiscovery, WatchAppsPollsEveryApplicationInOneRequest) {
  auto backend = NewB();
  auto r1 = backend->Register(Node(kRouter, "router-1", "10.3.0.1:3129"));
  auto c1 = backend->Register(Node(kComet, "comet-1", "10.3.0.2:3109"));
  std::mutex mu;
  std::vector<std::string> order;
  auto w = backend->WatchApps({kComet, kRouter}, [&](const std::string& app, const auto& l) {
    std::lock_guard<std::mutex> lock(mu);
    order.push_back(app + ":" + std::to_string(l.size()));
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(order, (std::vector<std::string>{"goim.comet:1", "goim.router:1"}));
  }
  EXPECT_EQ(w->Current().size(), 2u);
  auto r2 = backend->Register(Node(kRouter, "router-2", "10.3.0.3:3129"));
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return order.back() == "goim.router:2";
  }));
  auto polls = fake_->Requests("/discovery/polls");
  ASSERT_FALSE(polls.empty());
  std::vector<std::string> apps;
  for (const auto& [k, v] : polls.back().params)
    if (k == "appid") apps.push_back(v);
  EXPECT_EQ(apps, (std::vector<std::string>{"goim.comet", "goim.router"}));
}

TEST_F(BilibiliDiscovery, ForeignAndMalformedInstancesAreSkippedCountedAndLogged) {
  Lines lines;
  auto& m = metrics::Registry::Default();
  const std::string bad = "goim_discovery_bad_values_total{app=\"goim.comet\"}";
  double before = m.Get(bad);
  json::Json foreign = GoimComet("logic-x", "10.4.0.1:3119");
  foreign["appid"] = "goim.logic";  // another application's record under goim.comet
  json::Json malformed = GoimComet("comet-bad", "10.4.0.2:3109");
  malformed["metadata"]["weight"] = "heavy";
  json::Json nameless = GoimComet("", "10.4.0.3:3109");
  fake_->Put("dev", kComet, "sh001", "logic-x", foreign);
  fake_->Put("dev", kComet, "sh001", "comet-bad", malformed);
  fake_->Put("dev", kComet, "sh002", "nameless", nameless);
  fake_->Put("dev", kComet, "sh001", "comet-ok", GoimComet("comet-ok", "10.4.0.4:3109"));
  Seen comets;
  auto w = NewB()->WatchApp(kComet, comets.Fn());
  EXPECT_EQ(comets.Hosts(), std::vector<std::string>{"comet-ok"});
  EXPECT_EQ(m.Get(bad) - before, 3);
  EXPECT_TRUE(lines.Has("skipped an instance that is not a goim.comet record"));
  EXPECT_TRUE(lines.Has("metadata.weight is not an integer"));
}

// goim's discovery.nodes lists several servers (they replicate among themselves): a node that
// does not answer is passed over, at start and later, and the one that answers is kept.
TEST_F(BilibiliDiscovery, ANodeThatDoesNotAnswerIsPassedOver) {
  cfg_.bilibili.nodes = {e2e::Loopback(e2e::FreePort()), fake_->addr()};  // the first: nobody
  auto backend = NewB();
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  auto reg = backend->Register(Node(kComet, "comet-1", "10.5.0.1:3109"));
  EXPECT_TRUE(fake_->Find("dev", kComet, "comet-1").is_object());
  ASSERT_TRUE(Eventually([&] { return comets.Hosts() == std::vector<std::string>{"comet-1"}; }));
  size_t renewals = fake_->Requests("/discovery/renew").size();
  ASSERT_TRUE(
      Eventually([&] { return fake_->Requests("/discovery/renew").size() >= renewals + 3; }));
  EXPECT_TRUE(reg->healthy());
  EXPECT_TRUE(w->connected());
}

TEST(BilibiliDiscoveryDown, UnreachableServerAtStartIsAClearError) {
  Config cfg;
  int port = e2e::FreePort();  // reserved, nobody listens
  cfg.bilibili.nodes = {e2e::Loopback(port)};
  cfg.bilibili.timeout = 300ms;
  conf::Env env;
  env.deployEnv = "dev";
  auto backend = NewBackend(cfg, env);
  try {
    backend->Register(Node(kComet, "c", "127.0.0.1:1"));
    FAIL() << "registered against a closed port";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("cannot register goim.comet/c in bilibili discovery"), std::string::npos)
        << what;
    EXPECT_NE(what.find(e2e::Loopback(port)), std::string::npos) << what;
  }
  try {
    backend->WatchApp(kComet, nullptr);
    FAIL() << "watched a closed port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read goim.comet from bilibili discovery"),
              std::string::npos)
        << e.what();
  }
  // Without a deploy env the server could file nobody: refused before any call.
  EXPECT_THROW(NewBackend(cfg, conf::Env{}), std::invalid_argument);
}

TEST_F(BilibiliDiscovery, LostServerKeepsTheMembershipThenFollowsAgain) {
  Lines lines;
  auto backend = NewB();
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  std::atomic<int> lapses{0}, recoveries{0};
  auto reg = backend->Register(Node(kComet, "comet-1", "10.5.0.1:3109"),
                               [&](bool healthy) { (healthy ? recoveries : lapses)++; });
  ASSERT_TRUE(Eventually([&] { return comets.Hosts().size() == 1; }));
  auto& m = metrics::Registry::Default();
  const std::string connected = "goim_discovery_watch_connected{app=\"goim.comet\"}";
  const std::string lost = "goim_discovery_watch_lost_total{app=\"goim.comet\"}";
  double lost_before = m.Get(lost);
  EXPECT_EQ(m.Get(connected), 1);

  fake_->Stop();
  ASSERT_TRUE(Eventually([&] { return !w->connected(); }, 10s));
  EXPECT_EQ(m.Get(connected), 0);
  EXPECT_EQ(m.Get(lost) - lost_before, 1);
  EXPECT_TRUE(lines.Has("keeping the last known membership"));
  EXPECT_EQ(comets.Hosts(), std::vector<std::string>{"comet-1"});  // last known list stays
  // Renewals fail for evictAfter (the server's eviction time): lapsed.
  ASSERT_TRUE(Eventually([&] { return !reg->healthy(); }, 10s));
  EXPECT_EQ(lapses.load(), 1);

  fake_->Start();  // same port, nothing registered: the registration comes back, the watch too
  ASSERT_TRUE(Eventually([&] { return w->connected() && reg->healthy(); }, 20s));
  EXPECT_EQ(m.Get(connected), 1);
  EXPECT_EQ(recoveries.load(), 1);
  fake_->Put("dev", kComet, "sh001", "comet-2", GoimComet("comet-2", "10.5.0.2:3109"));
  ASSERT_TRUE(Eventually([&] {
    return comets.Hosts() == std::vector<std::string>{"comet-1", "comet-2"};
  }));
}

// A restarted server knows only the nodes that registered again since: for rejoinGrace the watch
// keeps listing those it lacks (taking updates and newcomers), then drops those that did not come
// back. Before, the first read after the restart handed on a list without them (logic deleted
// their sessions).
TEST_F(BilibiliDiscovery, AServerThatRestartedKeepsTheListUntilItsNodesRegisterAgain) {
  cfg_.bilibili.rejoinGrace = 3s;
  auto backend = NewB();
  auto reg = backend->Register(Node(kComet, "comet-1", "10.6.0.1:3109"));  // renews every 200 ms
  // goim's comet (renews every 30 s: registers again long after the restart) and one that died.
  fake_->Put("dev", kComet, "sh001", "goim-comet-g", GoimComet("goim-comet-g", "10.6.0.2:3109"));
  fake_->Put("dev", kComet, "sh001", "comet-dead", GoimComet("comet-dead", "10.6.0.3:3109"));
  Seen comets;
  auto w = backend->WatchApp(kComet, comets.Fn());
  const std::vector<std::string> all{"comet-1", "comet-dead", "goim-comet-g"};
  ASSERT_EQ(comets.Hosts(), all);
  size_t before = comets.Handed();

  fake_->Stop();
  ASSERT_TRUE(Eventually([&] { return !w->connected(); }, 10s));
  fake_->Start();  // empty; comet-1 registers again at its next renewal
  ASSERT_TRUE(Eventually([&] { return w->connected() && reg->healthy(); }));
  auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return !fake_->Find("dev", kComet, "comet-1").is_null(); }));
  json::Json again = GoimComet("goim-comet-g", "10.6.0.2:3109");
  again["metadata"]["conn_count"] = "5";
  fake_->Put("dev", kComet, "sh001", "goim-comet-g", again);  // goim's comet, registered again
  ASSERT_TRUE(Eventually([&] {
    auto g = comets.Get("goim-comet-g");
    return g && g->conn_count == 5;
  }));
  // comet-dead never comes back: it leaves once the grace passed.
  ASSERT_TRUE(Eventually([&] {
    return comets.Hosts() == std::vector<std::string>{"comet-1", "goim-comet-g"};
  }));
  EXPECT_GE(std::chrono::steady_clock::now() - back, 3s - 200ms) << "left before rejoinGrace";
  std::lock_guard<std::mutex> lock(comets.mu);
  for (size_t i = before; i + 1 < comets.history.size(); ++i)
    EXPECT_EQ(comets.history[i], all) << "list " << i << " handed on during the grace";
}

}  // namespace
}  // namespace goim::discovery
