#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "router/online_store.h"
#include "router/session_store.h"

namespace goim::router {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  Clock::time_point now = Clock::time_point(1000s);
  SessionStore store{{8, 30min}, [this] { return now; }};
};

TEST(SessionStore, PutGetDelByKey) {
  Fixture f;
  EXPECT_FALSE(f.store.PutKey("k1", 7, "comet-a"));
  EXPECT_TRUE(f.store.PutKey("k1", 7, "comet-a"));  // renewal
  auto s = f.store.GetKey("k1");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->mid, 7);
  EXPECT_EQ(s->server, "comet-a");
  EXPECT_FALSE(f.store.GetKey("nope").has_value());
  // A late disconnect from another comet must not erase the session.
  EXPECT_FALSE(f.store.DelKey("k1", "comet-b"));
  EXPECT_TRUE(f.store.GetKey("k1").has_value());
  EXPECT_TRUE(f.store.DelKey("k1", "comet-a"));
  EXPECT_FALSE(f.store.GetKey("k1").has_value());
}

TEST(SessionStore, MidHoldsEveryConnection) {
  Fixture f;
  f.store.PutMid(42, "k1", "comet-a");
  f.store.PutMid(42, "k2", "comet-b");
  EXPECT_FALSE(f.store.PutMid(0, "k0", "comet-a"));  // mid 0 is never indexed
  std::vector<std::pair<std::string, std::string>> got;
  f.store.GetMid(42, &got);
  ASSERT_EQ(got.size(), 2u);
  got.clear();
  f.store.GetMid(0, &got);
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(f.store.DelMid(42, "k1", "comet-b"));
  EXPECT_TRUE(f.store.DelMid(42, "k1", "comet-a"));
  got.clear();
  f.store.GetMid(42, &got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, "k2");
}

TEST(SessionStore, ExpiresUnlessRenewed) {
  Fixture f;
  f.store.PutKey("old", 1, "c");
  f.store.PutMid(1, "old", "c");
  f.now += 20min;
  f.store.PutKey("young", 2, "c");
  f.store.PutKey("old", 1, "c");  // heartbeat renewal of the key only
  f.now += 15min;                 // mid entry of "old" is 35 min old, key entry 15 min
  EXPECT_TRUE(f.store.GetKey("old").has_value());
  std::vector<std::pair<std::string, std::string>> got;
  f.store.GetMid(1, &got);
  EXPECT_TRUE(got.empty());  // expired entries are invisible even before the cleaner runs
  EXPECT_EQ(f.store.Clean(), 1u);
  f.now += 20min;
  EXPECT_EQ(f.store.Clean(), 2u);
  EXPECT_FALSE(f.store.GetKey("old").has_value());
  SessionStats st = f.store.Stats();
  EXPECT_EQ(st.keys, 0);
  EXPECT_EQ(st.mid_entries, 0);
  EXPECT_EQ(st.expired, 3);
}

TEST(SessionStore, CleanIsBoundedPerPass) {
  Fixture f;
  SessionStore one{{1, 1min}, [&f] { return f.now; }};
  for (int i = 0; i < 100; ++i) one.PutKey("k" + std::to_string(i), i, "c");
  f.now += 2min;
  EXPECT_EQ(one.Clean(30), 30u);
  EXPECT_EQ(one.Stats().keys, 70);
  EXPECT_EQ(one.Clean(), 70u);
}

TEST(SessionStore, DelServerAndCounts) {
  Fixture f;
  for (int i = 0; i < 10; ++i) {
    std::string server = i % 2 ? "comet-a" : "comet-b";
    f.store.PutKey("k" + std::to_string(i), i + 1, server);
    f.store.PutMid(i + 1, "k" + std::to_string(i), server);
  }
  f.store.PutKey("k0", 1, "comet-a");  // moved from b to a
  SessionStats st = f.store.Stats();
  EXPECT_EQ(st.keys, 10);
  EXPECT_EQ(st.server_keys["comet-a"], 6);
  EXPECT_EQ(st.server_keys["comet-b"], 4);
  EXPECT_EQ(f.store.DelServer("comet-b"), 4u + 5u);
  st = f.store.Stats();
  EXPECT_EQ(st.keys, 6);
  EXPECT_EQ(st.mid_entries, 5);
  EXPECT_EQ(st.server_keys.count("comet-b"), 0u);
}

TEST(SessionStore, ConcurrentWritersAndReaders) {
  SessionStore store{{16, 30min}};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&store, t] {
      for (int i = 0; i < 5000; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i % 500);
        store.PutKey(key, i, "comet-" + std::to_string(t));
        store.PutMid(i % 97 + 1, key, "comet-" + std::to_string(t));
        if (i % 3 == 0) store.DelKey(key, "comet-" + std::to_string(t));
        if (i % 5 == 0) store.DelMid(i % 97 + 1, key, "comet-" + std::to_string(t));
      }
    });
  }
  ts.emplace_back([&] {
    std::vector<std::pair<std::string, std::string>> out;
    while (!stop) {
      store.GetKey("t1-7");
      out.clear();
      store.GetMid(5, &out);
      store.Stats();
      store.Clean();
    }
  });
  for (int t = 0; t < 4; ++t) ts[static_cast<size_t>(t)].join();
  store.DelServer("comet-2");
  stop = true;
  ts.back().join();
  SessionStats st = store.Stats();
  EXPECT_EQ(st.server_keys.count("comet-2"), 0u);
  int64_t sum = 0;
  for (auto& [s, n] : st.server_keys) sum += n;
  EXPECT_EQ(sum, st.keys);
}

TEST(OnlineStore, DropsStaleReports) {
  int64_t now = 1'000'000;  // ms
  OnlineStore o(300s, [&] { return now; });
  o.Put({"comet-a", {{"live://1", 3}}, 3, 2, 0});
  now += 200'000;
  o.Put({"comet-b", {{"live://1", 1}}, 1, 1, 0});
  auto fresh = o.Fresh();
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_EQ(fresh[0].updated_ms, 1'000'000);
  now += 150'000;  // comet-a's report is 350 s old
  fresh = o.Fresh();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].server, "comet-b");
}

}  // namespace
}  // namespace goim::router
