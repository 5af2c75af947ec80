// time::LoopTimer on a running event loop: it wakes its loop by itself when an Add or Set puts an
// entry first, on the fake clock (time moves only by Advance) and on the system clock.
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/net/asio.h"
#include "pkg/time/fake_clock.h"
#include "pkg/time/loop_timer.h"

namespace goim::time {
namespace {

using namespace std::chrono_literals;

class LoopTimerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    OnLoop([this] { timer_.reset(); });
    io_.stop();
    thread_.join();
  }
  // Runs f on the loop and waits for it (the timer is [loop thread only]).
  void OnLoop(std::function<void()> f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  std::vector<int> Fired() {
    std::vector<int> out;
    OnLoop([&] { out = fired_; });
    return out;
  }
  struct Arg {
    LoopTimerTest* t;
    int id;
  };
  static void Record(void* a) {
    auto* arg = static_cast<Arg*>(a);
    arg->t->fired_.push_back(arg->id);
  }

  asio::io_context io_;
  std::thread thread_;
  FakeClock clock_;
  std::unique_ptr<LoopTimer> timer_ = std::make_unique<LoopTimer>(io_, clock_, 8);
  std::vector<int> fired_;  // [loop thread]
  Arg a_{this, 1}, b_{this, 2}, c_{this, 3};
};

TEST_F(LoopTimerTest, AnEntryAddedFirstWakesTheLoopAtItsTime) {
  TimePoint t0 = clock_.Now();
  EXPECT_FALSE(clock_.NextAlarm().has_value());
  OnLoop([this] { timer_->Add(10s, Record, &a_); });
  EXPECT_EQ(clock_.NextAlarm(), t0 + 10s);  // the loop's wake-up, armed on the clock
  ASSERT_TRUE(clock_.Advance(9s));
  EXPECT_TRUE(Fired().empty());
  // Added ahead of the armed wake-up: the wake-up moves, nobody else has to re-arm it.
  OnLoop([this] { timer_->Add(500ms, Record, &b_); });
  EXPECT_EQ(clock_.NextAlarm(), t0 + 9500ms);
  ASSERT_TRUE(clock_.Advance(2s));  // 11 s: both due
  EXPECT_EQ(Fired(), (std::vector<int>{2, 1}));
  EXPECT_FALSE(clock_.NextAlarm().has_value()) << "nothing left: disarmed";
}

TEST_F(LoopTimerTest, SetMovingAnEntryFirstWakesTheLoopThen) {
  TimerId id;
  OnLoop([&] {
    timer_->Add(5s, Record, &a_);
    id = timer_->Add(60s, Record, &b_);
  });
  ASSERT_TRUE(clock_.Advance(5s));
  EXPECT_EQ(Fired(), std::vector<int>{1});
  OnLoop([&] { timer_->Set(id, 1s); });  // was 55 s away, now first and 1 s away
  ASSERT_TRUE(clock_.Advance(1s));
  EXPECT_EQ(Fired(), (std::vector<int>{1, 2}));
}

// A callback that re-adds itself runs once per second of fake time, three times.
struct Chain {
  LoopTimer* t;
  int runs = 0;
  static void Run(void* p) {
    auto* c = static_cast<Chain*>(p);
    if (++c->runs < 3) c->t->Add(1s, &Chain::Run, c);
  }
};

TEST_F(LoopTimerTest, CallbacksMayAddEntriesThatFireLater) {
  Chain chain{timer_.get()};
  OnLoop([&] { timer_->Add(1s, &Chain::Run, &chain); });
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(clock_.Advance(1s));
    int runs = 0;
    OnLoop([&] { runs = chain.runs; });
    EXPECT_EQ(runs, std::min(i, 3));
  }
  size_t left = 1;
  OnLoop([&] { left = timer_->size(); });
  EXPECT_EQ(left, 0u);
}

TEST(LoopTimerSystemClock, WakesOnItsOwn) {
  asio::io_context io;
  LoopTimer timer(io, SystemClock(), 4);
  bool fired = false;
  asio::post(io, [&] {
    timer.Add(
        1ms, [](void* f) { *static_cast<bool*>(f) = true; }, &fired);
  });
  // Returns when the loop has nothing left to do: the timer's wake-up was its only work.
  io.run_for(10s);
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace goim::time
