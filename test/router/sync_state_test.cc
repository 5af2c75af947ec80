// router::SyncState with an injected clock: when a router's table counts as incomplete, which
// lookups wait, and what completes a round.
#include <gtest/gtest.h>

#include "pkg/hash/ketama.h"
#include "pkg/metrics/metrics.h"
#include "router/sync_state.h"

namespace goim::router {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  SyncState::Clock::time_point now = SyncState::Clock::time_point{} + 1h;
  SyncState::NowFn Fn() {
    return [this] { return now; };
  }
};

// A key that ketama places on `owner` among names (and, when given, on `before` among old).
std::string KeyOn(const std::vector<std::string>& names, const std::string& owner,
                  const std::vector<std::string>& old = {}, const std::string& before = "") {
  hash::Ketama ring(names), prev(old);
  for (int i = 0;; ++i) {
    std::string k = "key-" + std::to_string(i);
    if (ring.Get(k) == owner && (before.empty() || prev.Get(k) == before)) return k;
  }
}

TEST(SyncState, StaticRoutersAreNeverIncomplete) {
  FakeClock clock;
  SyncState s(false, "r1", "e1", 10s, clock.Fn());
  EXPECT_FALSE(s.syncing());
  EXPECT_FALSE(s.Pending("any"));
  s.SetRouters({"r1", "r2"});
  EXPECT_FALSE(s.Pending(KeyOn({"r1", "r2"}, "r2")));
  EXPECT_FALSE(s.Get("c1").need);
}

TEST(SyncState, ANewTableWaitsForEveryCometOfTheRound) {
  FakeClock clock;
  SyncState s(true, "r1", "e1", 10s, clock.Fn());
  s.SetRouters({"r1"});
  EXPECT_TRUE(s.syncing());
  EXPECT_TRUE(s.Pending("k"));  // nothing is known yet
  s.SetComets({"c1", "c2"});
  auto v = s.Get("c1");
  EXPECT_TRUE(v.need);
  EXPECT_EQ(v.round, 1);
  EXPECT_EQ(v.ring, std::vector<std::string>{"r1"});
  EXPECT_TRUE(s.Done("c1", "e1", 1));
  EXPECT_FALSE(s.Get("c1").need);
  EXPECT_TRUE(s.Get("c2").need);
  EXPECT_TRUE(s.Done("c1", "old-epoch", 1));  // another process's round: ignored
  EXPECT_TRUE(s.Done("c2", "e1", 0));         // an older round: ignored
  EXPECT_TRUE(s.Pending("k"));
  EXPECT_FALSE(s.Done("c2", "e1", 1));
  EXPECT_FALSE(s.syncing());
  EXPECT_FALSE(s.Pending("k"));
}

TEST(SyncState, ACometThatLeavesIsNotWaitedForAndTheRoundTimesOut) {
  FakeClock clock;
  auto& m = metrics::Registry::Default();
  double timeouts = m.Get("goim_router_sync_timeouts_total");
  SyncState s(true, "r1", "e1", 10s, clock.Fn());
  s.SetRouters({"r1"});
  s.SetComets({"c1", "c2"});
  s.Done("c1", "e1", 1);
  s.SetComets({"c1"});  // c2 died: its sessions are gone with it
  EXPECT_FALSE(s.syncing());

  s.BeginAll("lapsed");
  s.SetComets({"c1", "c3"});  // c3 joined during the round: its connections were written live
  EXPECT_TRUE(s.syncing());
  clock.now += 9s;
  EXPECT_TRUE(s.syncing());
  clock.now += 2s;  // c1 never replayed: complete at sync.timeout, counted
  EXPECT_FALSE(s.syncing());
  EXPECT_EQ(m.Get("goim_router_sync_timeouts_total") - timeouts, 1);
}

TEST(SyncState, ARouterThatLeavesMakesOnlyTheKeysMovedHereWait) {
  FakeClock clock;
  SyncState s(true, "r1", "e1", 10s, clock.Fn());
  s.SetRouters({"r1", "r2", "r3"});
  s.SetComets({"c1"});
  s.Done("c1", "e1", 1);
  ASSERT_FALSE(s.syncing());
  std::string mine = KeyOn({"r1", "r3"}, "r1", {"r1", "r2", "r3"}, "r1");
  std::string moved = KeyOn({"r1", "r3"}, "r1", {"r1", "r2", "r3"}, "r2");
  std::string other = KeyOn({"r1", "r3"}, "r3");
  s.SetRouters({"r1", "r3"});  // r2 left: some of its keys are r1's now
  EXPECT_TRUE(s.syncing());
  EXPECT_EQ(s.Get("c1").round, 2);
  EXPECT_FALSE(s.Pending(mine));  // was r1's already: complete
  EXPECT_TRUE(s.Pending(moved));  // came from r2: wait for the replay
  EXPECT_TRUE(s.Pending(other));  // r3's under the ring r1 sees: the asker's ring differs
  EXPECT_FALSE(s.Done("c1", "e1", 2));
  EXPECT_FALSE(s.Pending(moved));
  EXPECT_TRUE(s.Pending(other));
}

TEST(SyncState, AJoinStartsNoRoundOnTheOthers) {
  FakeClock clock;
  SyncState s(true, "r1", "e1", 10s, clock.Fn());
  s.SetRouters({"r1", "r2"});
  s.SetComets({});
  ASSERT_FALSE(s.syncing());
  s.SetRouters({"r1", "r2", "r3"});  // r3 takes keys from r1; r1 gains none
  EXPECT_FALSE(s.syncing());
  EXPECT_FALSE(s.Pending(KeyOn({"r1", "r2", "r3"}, "r1")));
  EXPECT_TRUE(s.Pending(KeyOn({"r1", "r2", "r3"}, "r3", {"r1", "r2"}, "r1")));  // moved away
}

}  // namespace
}  // namespace goim::router
