#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/time/fake_clock.h"
#include "pkg/time/timer.h"

namespace goim {
namespace {

using namespace std::chrono_literals;

struct Log {
  std::vector<int> fired;
};
struct Arg {
  Log* log;
  int id;
};
void Record(void* a) {
  auto* arg = static_cast<Arg*>(a);
  arg->log->fired.push_back(arg->id);
}

TEST(Timer, ExpiresInDeadlineOrder) {
  time::FakeClock clock;
  time::Timer t(4, clock);
  Log log;
  std::vector<Arg> args{{&log, 0}, {&log, 1}, {&log, 2}, {&log, 3}, {&log, 4}};
  t.Add(30s, Record, &args[3]);
  t.Add(10s, Record, &args[1]);
  t.Add(20s, Record, &args[2]);
  t.Add(50s, Record, &args[4]);
  t.Add(5s, Record, &args[0]);
  EXPECT_EQ(t.Next(), clock.Now() + 5s);
  clock.Advance(25s);
  EXPECT_EQ(t.Expire(), 3u);
  EXPECT_EQ(log.fired, (std::vector<int>{0, 1, 2}));
  clock.Advance(100s);
  EXPECT_EQ(t.Expire(), 2u);
  EXPECT_EQ(log.fired, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(t.Next().has_value());
}

TEST(Timer, DelAndSetAndStaleIds) {
  time::FakeClock clock;
  time::Timer t(2, clock);
  Log log;
  Arg a{&log, 1}, b{&log, 2};
  time::TimerId ia = t.Add(10s, Record, &a);
  time::TimerId ib = t.Add(20s, Record, &b);
  t.Set(ia, 30s);  // a now after b
  t.Del(ib);
  EXPECT_FALSE(ib.valid());
  time::TimerId stale = ia;
  clock.Advance(31s);
  EXPECT_EQ(t.Expire(), 1u);
  EXPECT_EQ(log.fired, (std::vector<int>{1}));
  // The entry is reused by the next Add; the old id must not touch it.
  Arg c{&log, 3};
  time::TimerId ic = t.Add(5s, Record, &c);
  EXPECT_EQ(ic.index, stale.index);
  EXPECT_FALSE(t.Pending(stale));
  t.Del(stale);
  t.Set(stale, 1s);
  EXPECT_TRUE(t.Pending(ic));
  clock.Advance(5s);
  EXPECT_EQ(t.Expire(), 1u);
  EXPECT_EQ(log.fired, (std::vector<int>{1, 3}));
}

struct Rearm {
  time::Timer* t;
  int count = 0;
};
void RearmCb(void* a) {
  auto* r = static_cast<Rearm*>(a);
  if (++r->count < 3) r->t->Add(1s, RearmCb, r);
}

TEST(Timer, CallbackMayAddTimers) {
  time::FakeClock clock;
  time::Timer t(1, clock);
  Rearm r{&t};
  t.Add(1s, RearmCb, &r);
  for (int i = 0; i < 5; ++i) {
    clock.Advance(1s);
    t.Expire();
  }
  EXPECT_EQ(r.count, 3);
  EXPECT_EQ(t.size(), 0u);
}

TEST(Timer, ManyEntriesStayOrdered) {
  time::FakeClock clock;
  time::Timer t(16, clock);
  Log log;
  std::vector<Arg> args;
  args.reserve(1000);
  std::vector<time::TimerId> ids;
  for (int i = 0; i < 1000; ++i) {
    args.push_back({&log, i});
    ids.push_back(t.Add(std::chrono::milliseconds((i * 7919) % 1000), Record, &args.back()));
  }
  for (int i = 0; i < 1000; i += 2) t.Del(ids[i]);
  clock.Advance(2s);
  EXPECT_EQ(t.Expire(), 500u);
  for (size_t i = 1; i < log.fired.size(); ++i) {
    EXPECT_LE((log.fired[i - 1] * 7919) % 1000, (log.fired[i] * 7919) % 1000);
  }
}

}  // namespace
}  // namespace goim
