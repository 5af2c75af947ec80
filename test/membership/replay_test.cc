// A router's table rebuilt from the comets (in-process services against a real etcd): after a
// router restarts, after a router joins (keys move to it) and after one leaves (its keys move to
// the others), every live session is found again within seconds, and no lookup meanwhile answers
// a partial set: it waits or fails, so no push is answered code 0 for a session that exists.
#include <mutex>

#include <gtest/gtest.h>

#include "comet/membership.h"
#include "comet/server.h"
#include "logic/logic_server.h"
#include "logic/membership.h"
#include "pkg/queue/embedded.h"
#include "router/membership.h"
#include "router/router_server.h"
#include "test/e2e/harness.h"
#include "test/support/etcd_server.h"
#include "test/support/goim_client.h"

namespace goim {
namespace {

using namespace std::chrono_literals;
using e2e::Eventually;
using testing::Client;

class Replay : public ::testing::Test {
 protected:
  struct Router {
    std::unique_ptr<router::RouterServer> server;
    std::unique_ptr<router::Membership> membership;
  };

  void SetUp() override {
    if (!testing::EtcdServer::Available())
      GTEST_SKIP() << "etcd is not installed (scripts/setup.sh)";
    etcd_ = std::make_unique<testing::EtcdServer>();
    etcd_->Start();
    disc_.etcd.endpoints = {etcd_->endpoint()};
    disc_.etcd.ttl = 2s;
    disc_.etcd.dialTimeout = 1s;
    routers_["router-1"] = StartRouter("router-1");
    routers_["router-2"] = StartRouter("router-2");

    queue_ = queue::Embedded::Create(4, 100000);
    producer_ = queue_->NewProducer();
    logic::Config lc;
    lc.env.host = "logic-1";
    lc.httpServer.addr = "127.0.0.1:0";
    lc.rpcServer.addr = "127.0.0.1:0";
    lc.online.tick = 1h;
    lc.discovery = disc_;
    logic_ = std::make_unique<logic::LogicServer>(lc, producer_.get());
    logic_membership_ = std::make_unique<logic::Membership>(lc, logic_->core());
    logic_membership_->Follow();
    logic_->Start();
    logic_membership_->Register(logic_->grpc_port());

    comet::Config cc;
    cc.env.host = "comet-1";
    cc.tcp.bind = {"127.0.0.1:0"};
    cc.websocket.bind = {"127.0.0.1:0"};
    cc.rpcServer.addr = "127.0.0.1:0";
    cc.rpcClient.logic = {"127.0.0.1:" + std::to_string(logic_->grpc_port())};
    cc.metrics.addr = "";
    cc.protocol.loops = 2;
    cc.discovery = disc_;
    comet_ = std::make_unique<comet::Server>(cc);
    comet_->Start();
    comet_membership_ = std::make_unique<comet::Membership>(*comet_);
    comet_membership_->Start();

    for (int i = 0; i < kClients; ++i) {
      std::string err;
      auto c = Client::Dial("127.0.0.1:" + std::to_string(comet_->tcp_port()),
                            Client::Transport::kTcp, &err);
      ASSERT_TRUE(c) << err;
      keys_.push_back("key-" + std::to_string(i));
      mids_.push_back(1000 + i);
      ASSERT_TRUE(c->Auth(testing::Token(mids_.back(), keys_.back(), "live://1", {1000})));
      clients_.push_back(std::move(c));
    }
    ASSERT_TRUE(Eventually([&] { return Lookup().found == kClients; }));
  }

  void TearDown() override {
    clients_.clear();
    if (comet_membership_) comet_membership_->Stop();
    if (comet_) comet_->Stop();
    if (logic_membership_) logic_membership_->Stop();
    if (logic_) logic_->Stop();
    for (auto& [name, r] : routers_) {
      r.membership.reset();
      r.server.reset();
    }
  }

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

  struct Result {
    std::string error;
    int found = 0;
  };
  // One lookup of every client's key and of every mid, as a push does it.
  Result Lookup() {
    std::promise<Result> keys, mids;
    logic_->core().router().GetKeys(keys_, [&](const std::string& err, auto sessions) {
      keys.set_value({err, static_cast<int>(sessions.size())});
    });
    logic_->core().router().GetMids(mids_, [&](const std::string& err, auto sessions) {
      mids.set_value({err, static_cast<int>(sessions.size())});
    });
    Result k = keys.get_future().get(), m = mids.get_future().get();
    if (!k.error.empty()) return k;
    if (!m.error.empty()) return m;
    if (k.found != m.found) return {"keys and mids disagree", std::min(k.found, m.found)};
    return k;
  }

  // Looks up until every session is found again; fails the test on any answer that is a success
  // with sessions missing (a push would have been answered code 0 and reached nobody). Returns
  // how long it took.
  std::chrono::milliseconds UntilAllFound(std::chrono::milliseconds limit = 15s) {
    auto t0 = std::chrono::steady_clock::now();
    int errors = 0;
    while (true) {
      Result r = Lookup();
      if (r.error.empty()) {
        EXPECT_EQ(r.found, kClients) << "a lookup succeeded with sessions missing";
        if (r.found == kClients) break;
      } else {
        ++errors;
      }
      if (std::chrono::steady_clock::now() - t0 > limit) {
        ADD_FAILURE() << "not every session found after " << limit.count() << "ms: " << r.error;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    std::cout << "[ measure  ] all " << kClients << " sessions found after " << took.count()
              << "ms (" << errors << " lookups failed meanwhile, none partial)" << std::endl;
    return took;
  }

  int64_t KeysOn(const std::string& name) { return routers_[name].server->sessions().Stats().keys; }

  static constexpr int kClients = 60;
  std::unique_ptr<testing::EtcdServer> etcd_;
  discovery::Config disc_;
  std::map<std::string, Router> routers_;
  std::shared_ptr<queue::Embedded> queue_;
  std::unique_ptr<queue::Producer> producer_;
  std::unique_ptr<logic::LogicServer> logic_;
  std::unique_ptr<logic::Membership> logic_membership_;
  std::unique_ptr<comet::Server> comet_;
  std::unique_ptr<comet::Membership> comet_membership_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::string> keys_;
  std::vector<int64_t> mids_;
};

TEST_F(Replay, ARestartedRouterGetsItsSessionsBackFromTheComet) {
  ASSERT_GT(KeysOn("router-2"), 0);
  // router-2 dies without leaving (its lease lives on) and comes back as a new process with an
  // empty table, on another port.
  Router old = std::move(routers_["router-2"]);
  old.server->Stop();
  routers_["router-2"] = StartRouter("router-2");
  EXPECT_NE(routers_["router-2"].server->epoch(), old.server->epoch());
  UntilAllFound();
  EXPECT_GT(KeysOn("router-2"), 0);
  old.membership.reset();  // the dead process's lease: revoking it takes nothing with it
  EXPECT_EQ(Lookup().found, kClients);
}

TEST_F(Replay, AJoiningRouterTakesAboutAThirdAndLosesNone) {
  routers_["router-3"] = StartRouter("router-3");
  ASSERT_TRUE(Eventually([&] { return logic_->core().router().Nodes().size() == 3; }));
  UntilAllFound();
  int owned = 0;
  for (const auto& k : keys_) owned += logic_->core().router().NodeForKey(k) == "router-3";
  EXPECT_GT(owned, kClients / 6);
  EXPECT_LT(owned, kClients / 2);
  EXPECT_GE(KeysOn("router-3"), owned);  // every key it owns, replayed
}

TEST_F(Replay, WhenARouterLeavesTheOthersTakeItsSessions) {
  int64_t on_r1 = KeysOn("router-1");
  routers_["router-2"].membership.reset();  // leaves the membership (its server still runs)
  ASSERT_TRUE(Eventually([&] { return logic_->core().router().Nodes().size() == 1; }));
  UntilAllFound();
  EXPECT_EQ(KeysOn("router-1"), kClients);
  EXPECT_GT(KeysOn("router-1"), on_r1);
}

}  // namespace
}  // namespace goim
