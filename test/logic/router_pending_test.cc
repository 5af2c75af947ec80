// logic's lookups against a router whose table is being rebuilt: "pending" answers are asked
// again until the router is complete (the lookup then succeeds) or router.syncWait passes (the
// lookup fails naming the router) -- never a success with the sessions missing. Client and router
// run on fake clocks of their own, moved together: the test waits until the client has armed its
// next retry on its clock, then moves both by one retry (the router's first, so that a retry due
// when the router's table completes finds it complete).
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "logic/router_client.h"
#include "pkg/metrics/metrics.h"
#include "pkg/time/fake_clock.h"
#include "router/router_server.h"

namespace goim::logic {
namespace {

using namespace std::chrono_literals;

struct Answer {
  std::string error;
  size_t found = 0;
};

// Polls cond until it holds or 10 s passed (real time: the gRPC round trip to the router).
bool Eventually(const std::function<bool()>& cond) {
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

double Retries() {
  return metrics::Registry::Default().Get("goim_logic_router_pending_retries_total");
}

class RouterPending : public ::testing::Test {
 protected:
  void SetUp() override {
    router::Config rc;
    rc.env.host = "r1";
    rc.rpcServer.addr = "127.0.0.1:0";
    // A membership is configured but nothing feeds it: the table stays incomplete until
    // sync.timeout (what a router sees when no comet ever replays).
    rc.discovery.etcd.endpoints = {"127.0.0.1:1"};
    rc.sync.timeout = 1500ms;
    server_ = std::make_unique<router::RouterServer>(rc, router_clock_);
    server_->Start();
    addr_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_->Stop(); }

  // Starts a lookup of k1 and k2, then moves the clock 50 ms (one retry) each time the client
  // has armed its next retry on the clock, until the lookup ends; *retries counts them, *waited
  // the fake time that passed.
  Answer Lookup(RouterClient& rc, int* retries, time::Duration* waited) {
    std::promise<Answer> p;
    auto answer = p.get_future();
    time::TimePoint t0 = clock_.Now();
    double before = Retries();
    rc.GetKeys({"k1", "k2"}, [&](const std::string& err, std::vector<router::Session> s) {
      p.set_value({err, s.size()});
    });
    *retries = 0;
    auto ended = [&] { return answer.wait_for(0s) == std::future_status::ready; };
    while (!ended()) {
      // The next retry is on the clock (or the lookup ended meanwhile).
      EXPECT_TRUE(Eventually([&] {
        auto next = clock_.NextAlarm();
        return ended() || (next && *next <= clock_.Now() + 50ms);
      }));
      if (ended()) break;
      ++*retries;
      EXPECT_TRUE(router_clock_.Advance(50ms));
      EXPECT_TRUE(clock_.Advance(50ms));
    }
    *waited = clock_.Now() - t0;
    // Each retry counted once (other clients in this process may count too: at least).
    EXPECT_GE(Retries() - before, *retries);
    return answer.get();
  }

  time::FakeClock clock_;         // the client's
  time::FakeClock router_clock_;  // the router's (its sync.timeout)
  std::unique_ptr<router::RouterServer> server_;
  std::string addr_;
};

TEST_F(RouterPending, ALookupGivesUpAfterSyncWaitNamingTheRouter) {
  router::Session s;
  s.set_key("k1");
  s.set_mid(1);
  s.set_server("comet-1");
  RouterClient impatient({{"r1", addr_}}, 1s, 200ms, clock_);
  std::promise<std::string> put;
  impatient.Put(s, [&](const std::string& err, RouterClient::PutResult) { put.set_value(err); });
  ASSERT_EQ(put.get_future().get(), "");  // writes are taken while rebuilding

  int retries = 0;
  time::Duration waited{};
  Answer a = Lookup(impatient, &retries, &waited);
  EXPECT_NE(a.error.find("router r1 (" + addr_ + "): rebuilding its session table"),
            std::string::npos)
      << a.error;
  EXPECT_EQ(a.found, 0u);
  // Asked at 0, 50, 100, 150 and 200 ms; a further retry would pass the 200 ms syncWait.
  EXPECT_EQ(retries, 4);
  EXPECT_EQ(waited, 200ms);
  EXPECT_TRUE(server_->sync().syncing());
}

TEST_F(RouterPending, ALookupWaitsForTheTableThenAnswersInFull) {
  router::Session s;
  s.set_key("k1");
  s.set_mid(1);
  s.set_server("comet-1");
  RouterClient patient({{"r1", addr_}}, 1s, 5s, clock_);
  std::promise<std::string> put;
  patient.Put(s, [&](const std::string& err, RouterClient::PutResult) { put.set_value(err); });
  ASSERT_EQ(put.get_future().get(), "");

  int retries = 0;
  time::Duration waited{};
  Answer b = Lookup(patient, &retries, &waited);
  EXPECT_EQ(b.error, "");
  EXPECT_EQ(b.found, 1u);  // k1; k2 has no session, now known for sure
  // It waited for the table: complete at the router's sync.timeout (1500 ms), not before.
  EXPECT_EQ(waited, 1500ms);
  EXPECT_EQ(retries, 30);
  EXPECT_FALSE(server_->sync().syncing());
}

}  // namespace
}  // namespace goim::logic
