// The send path's checks and rate limits, on a FakeClock: time moves only when a test moves it.
#include <gtest/gtest.h>

#include "logic/rate_limiter.h"
#include "logic/send_policy.h"
#include "pkg/metrics/metrics.h"
#include "pkg/time/fake_clock.h"

namespace goim::logic {
namespace {

using namespace std::chrono_literals;

double Metric(const std::string& name) {
  double v = metrics::Registry::Default().Get(name);
  return v < 0 ? 0 : v;
}

TEST(RateLimiter, BurstThenOnePerSecond) {
  time::FakeClock clock;
  RateLimiter l(5, 1, 100, clock, "test");
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l.Take("a")) << i;
  EXPECT_FALSE(l.Take("a")) << "the sixth send within a second";
  EXPECT_TRUE(l.Take("b")) << "another name has its own bucket";
  clock.Advance(999ms);
  EXPECT_FALSE(l.Take("a"));
  clock.Advance(1ms);
  EXPECT_TRUE(l.Take("a")) << "one token a second";
  EXPECT_FALSE(l.Take("a"));
  clock.Advance(1h);  // refills to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l.Take("a")) << i;
  EXPECT_FALSE(l.Take("a"));
}

TEST(RateLimiter, ARefusedSendTakesNothing) {
  time::FakeClock clock;
  RateLimiter l(1, 1, 100, clock, "test");
  EXPECT_TRUE(l.Take("a"));
  for (int i = 0; i < 10; ++i) {
    clock.Advance(50ms);
    EXPECT_FALSE(l.Take("a"));  // 0.5 s of refusals leaves 0.5 tokens, not less
  }
  clock.Advance(500ms);
  EXPECT_TRUE(l.Take("a"));
}

TEST(RateLimiter, BurstZeroIsNoLimit) {
  time::FakeClock clock;
  RateLimiter l(0, 0, 100, clock, "test");
  EXPECT_FALSE(l.limited());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(l.Take("a"));
  EXPECT_EQ(l.size(), 0u);
}

// Idle buckets go once full again; beyond max_tracked the least recently used goes although not
// full, counted: the table never grows past its bound however many senders come.
TEST(RateLimiter, TheTableIsBoundedAndForgetsIdleSenders) {
  time::FakeClock clock;
  RateLimiter l(5, 1, 100, clock, "bounded");
  const double evicted = Metric("goim_logic_send_limiter_evicted_total{limit=\"bounded\"}");
  for (int i = 0; i < 50; ++i) l.Take("s" + std::to_string(i));
  EXPECT_EQ(l.size(), 50u);
  clock.Advance(5s);  // every bucket is full again: the next send clears them out
  l.Take("new");
  EXPECT_EQ(l.size(), 1u);
  EXPECT_EQ(Metric("goim_logic_send_limiter_evicted_total{limit=\"bounded\"}"), evicted);

  for (int i = 0; i < 1000; ++i) l.Take("flood" + std::to_string(i));
  EXPECT_EQ(l.size(), 100u);
  EXPECT_EQ(Metric("goim_logic_send_limiter_evicted_total{limit=\"bounded\"}"), evicted + 901);
  EXPECT_EQ(Metric("goim_logic_send_limiter_tracked{limit=\"bounded\"}"), 100);
  // The most recent senders are the ones kept: still limited.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(l.Take("flood999")) << i;
  EXPECT_FALSE(l.Take("flood999"));
}

Config::Send SendConfig() {
  Config::Send c;
  c.enabled = true;
  return c;  // the defaults: 200 bytes, burst 5 at 1/s, no room limit
}

TEST(SendPolicy, RefusesWithADefinedCodeForEachReason) {
  time::FakeClock clock;
  SendPolicy p(SendConfig(), clock);
  std::string body = "hello";
  EXPECT_FALSE(p.Check(1, "k1", "live://1", &body).refused());

  std::string empty;
  SendRefusal r = p.Check(1, "k1", "live://1", &empty);
  EXPECT_EQ(r.code, kSendBadRequest);
  EXPECT_STREQ(r.reason, "empty");
  EXPECT_EQ(RefusalBody(r), R"({"code":-400,"message":"empty body"})");

  std::string x = "x";
  r = p.Check(1, "k1", "", &x);
  EXPECT_EQ(r.code, kSendBadRequest);
  EXPECT_STREQ(r.reason, "no_room");

  std::string at_limit(200, 'a'), over(201, 'a');
  EXPECT_FALSE(p.Check(2, "k2", "live://1", &at_limit).refused());
  r = p.Check(2, "k2", "live://1", &over);
  EXPECT_EQ(r.code, kSendTooLong);
  EXPECT_EQ(RefusalBody(r), R"({"code":-413,"message":"body over the limit of 200 bytes"})");
  // 67 three-byte characters are 201 bytes: the limit is in bytes of UTF-8.
  std::string cjk;
  for (int i = 0; i < 67; ++i) cjk += "\xe5\xbc\xb9";
  EXPECT_EQ(p.Check(3, "k3", "live://1", &cjk).code, kSendTooLong);
}

TEST(SendPolicy, InvalidUtf8BecomesReplacementCharacters) {
  time::FakeClock clock;
  SendPolicy p(SendConfig(), clock);
  const double repaired = Metric("goim_logic_send_repaired_total");
  std::string body =
      "a\xff"
      "b";
  EXPECT_FALSE(p.Check(1, "k", "live://1", &body).refused());
  EXPECT_EQ(body,
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(Metric("goim_logic_send_repaired_total"), repaired + 1);
  // The length counts the repaired bytes: 100 bad bytes are 300 bytes of U+FFFD.
  std::string bad(100, '\xff');
  EXPECT_EQ(p.Check(2, "k", "live://1", &bad).code, kSendTooLong);
}

TEST(SendPolicy, TheSixthSendWithinASecondFromOneMidIsRateLimited) {
  time::FakeClock clock;
  SendPolicy p(SendConfig(), clock);
  for (int i = 0; i < 5; ++i) {
    std::string b = "m" + std::to_string(i);
    EXPECT_FALSE(p.Check(7, "k-a", "live://1", &b).refused()) << i;
  }
  std::string b = "sixth";
  SendRefusal r = p.Check(7, "k-b", "live://2", &b);  // another connection of mid 7, another room
  EXPECT_EQ(r.code, kSendRateLimited);
  EXPECT_STREQ(r.reason, "rate");
  // Refusals for length or emptiness take no token.
  std::string empty;
  EXPECT_EQ(p.Check(8, "k8", "live://1", &empty).code, kSendBadRequest);
  for (int i = 0; i < 5; ++i) {
    std::string ok = "ok";
    EXPECT_FALSE(p.Check(8, "k8", "live://1", &ok).refused()) << i;
  }
  // Anonymous senders (mid 0) are limited per key, not all together.
  for (int i = 0; i < 5; ++i) {
    std::string ok = "ok";
    EXPECT_FALSE(p.Check(0, "anon-1", "live://1", &ok).refused()) << i;
  }
  std::string ok = "ok";
  EXPECT_FALSE(p.Check(0, "anon-2", "live://1", &ok).refused());
  EXPECT_EQ(p.Check(0, "anon-1", "live://1", &ok).code, kSendRateLimited);
  clock.Advance(1s);
  EXPECT_FALSE(p.Check(7, "k-a", "live://1", &ok).refused());
}

TEST(SendPolicy, TheOptionalRoomLimit) {
  time::FakeClock clock;
  Config::Send c = SendConfig();
  c.roomRate = {3, 10};
  SendPolicy p(c, clock);
  for (int mid = 1; mid <= 3; ++mid) {
    std::string b = "x";
    EXPECT_FALSE(p.Check(mid, "", "live://busy", &b).refused()) << mid;
  }
  std::string b = "x";
  SendRefusal r = p.Check(4, "", "live://busy", &b);
  EXPECT_EQ(r.code, kSendRateLimited);
  EXPECT_STREQ(r.reason, "room_rate");
  EXPECT_FALSE(p.Check(4, "", "live://quiet", &b).refused());
  clock.Advance(100ms);
  EXPECT_FALSE(p.Check(5, "", "live://busy", &b).refused());
}

}  // namespace
}  // namespace goim::logic
