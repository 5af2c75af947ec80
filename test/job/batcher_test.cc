#include <gtest/gtest.h>

#include "job/batcher.h"
#include "job/tracker.h"
#include "pkg/protocol/frame.h"
#include "pkg/time/fake_clock.h"

namespace goim::job {
namespace {

using namespace std::chrono_literals;

struct Clock {
  time::FakeClock fake;
  time::Timer timer{16, fake};
  time::TimePoint Now() const { return fake.Now(); }
  // Moves time without running the timer.
  void Pass(time::Duration d) { fake.Advance(d); }
  void Advance(time::Duration d) {
    fake.Advance(d);
    timer.Expire();
  }
};

std::vector<std::string> Bodies(const Batch& b) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < b.frames.size()) {
    protocol::Frame f;
    size_t used;
    EXPECT_EQ(protocol::DecodeFrame(
                  {reinterpret_cast<const uint8_t*>(b.frames.data()) + at, b.frames.size() - at},
                  &f, &used),
              protocol::Error::kOk);
    EXPECT_EQ(f.ver, 1);
    EXPECT_EQ(f.seq, 0);
    out.push_back(f.body);
    at += used;
  }
  return out;
}

TEST(RoomBatchers, FlushOnSizeInOrder) {
  Clock c;
  std::vector<Batch> flushed;
  RoomBatchers b(
      c.timer, 3, 1min, [](const std::string&, time::TimePoint) { return 1s; },
      [&](Batch&& x) { flushed.push_back(std::move(x)); });
  for (int i = 0; i < 7; ++i) b.Append("live://1", 1000, "m" + std::to_string(i), {0, i});
  ASSERT_EQ(flushed.size(), 2u);
  EXPECT_EQ(Bodies(flushed[0]), (std::vector<std::string>{"m0", "m1", "m2"}));
  EXPECT_EQ(Bodies(flushed[1]), (std::vector<std::string>{"m3", "m4", "m5"}));
  EXPECT_EQ(flushed[1].tokens[2].offset, 5);
  EXPECT_EQ(b.buffered(), 1u);
}

TEST(RoomBatchers, FlushOnSignalSinceTheFirstMessage) {
  Clock c;
  std::vector<Batch> flushed;
  RoomBatchers b(
      c.timer, 20, 1min, [](const std::string&, time::TimePoint) { return 100ms; },
      [&](Batch&& x) { flushed.push_back(std::move(x)); });
  b.Append("live://1", 1000, "a", {0, 1});
  c.Advance(60ms);
  b.Append("live://1", 1000, "b", {0, 2});  // does not push the deadline out
  c.Advance(30ms);
  EXPECT_TRUE(flushed.empty());
  c.Advance(10ms);
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(Bodies(flushed[0]), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.Now() - flushed[0].first, 100ms);
}

TEST(RoomBatchers, ZeroWindowFlushesAtTheEndOfTheBurstPerRoom) {
  Clock c;
  std::vector<Batch> flushed;
  RoomBatchers b(
      c.timer, 20, 1min,
      [](const std::string& r, time::TimePoint) { return r == "big" ? 50ms : 0ms; },
      [&](Batch&& x) { flushed.push_back(std::move(x)); });
  b.Append("small", 1, "x", {0, 1});
  b.Append("small", 1, "y", {0, 2});
  b.Append("big", 1, "z", {1, 1});
  EXPECT_TRUE(flushed.empty());
  b.FlushImmediate();
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0].room, "small");
  EXPECT_EQ(flushed[0].count, 2);
  c.Advance(50ms);
  ASSERT_EQ(flushed.size(), 2u);
  EXPECT_EQ(flushed[1].room, "big");
}

TEST(RoomBatchers, WindowSeesTheLastFlush) {
  Clock c;
  c.Pass(10s);
  std::vector<Batch> flushed;
  // A budget-style window: 100 ms must pass between two flushes of a room.
  RoomBatchers b(
      c.timer, 20, 1min,
      [&](const std::string&, time::TimePoint last) {
        auto wait = last + 100ms - c.Now();
        return wait > time::Duration::zero() ? wait : time::Duration::zero();
      },
      [&](Batch&& x) { flushed.push_back(std::move(x)); });
  b.Append("r", 1, "a", {0, 1});  // never flushed: at once
  b.FlushImmediate();
  ASSERT_EQ(flushed.size(), 1u);
  c.Advance(30ms);
  b.Append("r", 1, "b", {0, 2});  // 30 ms after a flush: waits the other 70 ms
  b.Append("r", 1, "c", {0, 3});
  b.FlushImmediate();
  EXPECT_EQ(flushed.size(), 1u);
  c.Advance(69ms);
  EXPECT_EQ(flushed.size(), 1u);
  c.Advance(1ms);
  ASSERT_EQ(flushed.size(), 2u);
  EXPECT_EQ(Bodies(flushed[1]), (std::vector<std::string>{"b", "c"}));
}

TEST(RoomBatchers, IdleReleaseThenAPushStartsAFreshBatcher) {
  Clock c;
  std::vector<Batch> flushed;
  RoomBatchers b(
      c.timer, 2, 1s, [](const std::string&, time::TimePoint) { return 10ms; },
      [&](Batch&& x) { flushed.push_back(std::move(x)); });
  b.Append("r", 1, "1", {0, 1});
  b.Append("r", 1, "2", {0, 2});
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(b.rooms(), 1u);
  // The idle timer is due; a push lands in the same turn, before the timer runs (goim #383).
  c.Pass(1s);
  b.Append("r", 1, "3", {0, 3});
  c.timer.Expire();
  EXPECT_EQ(b.rooms(), 1u);  // not released: it holds a message
  c.Advance(10ms);
  ASSERT_EQ(flushed.size(), 2u);
  EXPECT_EQ(Bodies(flushed[1]), std::vector<std::string>{"3"});
  c.Advance(1s);
  EXPECT_EQ(b.rooms(), 0u);  // idle and empty: released
  b.Append("r", 1, "4", {0, 4});
  b.FlushAll();
  ASSERT_EQ(flushed.size(), 3u);
  EXPECT_EQ(Bodies(flushed[2]), std::vector<std::string>{"4"});
}

TEST(OffsetTracker, CommitsOnlyUpToTheOldestUnfinished) {
  OffsetTracker t;
  for (int64_t o = 10; o < 15; ++o) t.Begin(0, o);
  t.Begin(1, 100);
  EXPECT_EQ(t.Advance().size(), 2u);  // 10 and 100: nothing finished yet
  t.Done(0, 11);
  t.Done(0, 12);
  EXPECT_TRUE(t.Advance().empty());  // 10 is still running
  t.Done(0, 10);
  auto a = t.Advance();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].partition, 0);
  EXPECT_EQ(a[0].offset, 13);
  t.Done(0, 13);
  t.Done(0, 14);
  t.Done(1, 100);
  a = t.Advance();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].offset, 15);
  EXPECT_EQ(a[1].offset, 101);
  EXPECT_EQ(t.pending(), 0u);
  t.Begin(2, 5);
  EXPECT_EQ(t.Pending({2}), 1u);
  t.Forget({2});
  t.Done(2, 5);  // late completion of forgotten work is ignored
  EXPECT_EQ(t.pending(), 0u);
}

}  // namespace
}  // namespace goim::job
