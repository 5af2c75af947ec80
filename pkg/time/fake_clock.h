// time::FakeClock: a clock that moves only when a test moves it. Advance runs, on their own
// loops, the alarms that fell due and returns once they ran, so a test can check the effect of a
// deadline right after passing it, with no sleep and no dependence on the machine's load.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "pkg/time/clock.h"

namespace goim::time {

class FakeClock final : public Clock {
 public:
  // The default start lies a day after the steady clock's epoch, so "never" (the epoch) is in
  // its past, as it is for the real clock.
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::hours(24)));
  ~FakeClock() override;

  TimePoint Now() const override;
  std::unique_ptr<Alarm> NewAlarm(boost::asio::io_context& io, std::function<void()> fire) override;

  // Moves the time forward by d and waits until every alarm due by then has run on its loop;
  // false if one did not run within 10 s (its loop is not running). Alarms armed by those runs
  // for a time already passed run soon after, unwaited. [any thread but the alarms' loops]
  bool Advance(Duration d);

  // When the earliest armed alarm falls due; nullopt when none is armed. A test waits on it to
  // know that the code under test has set its next deadline before moving time. [thread-safe]
  std::optional<TimePoint> NextAlarm() const;

 private:
  struct Entry {
    boost::asio::io_context* io;
    std::function<void()> fire;
    TimePoint when;
    bool armed = false;             // under mu_
    std::atomic<bool> alive{true};  // false once the alarm is gone
  };
  class FakeAlarm;
  void Arm(const std::shared_ptr<Entry>& e, TimePoint when);
  void Drop(const std::shared_ptr<Entry>& e);

  mutable std::mutex mu_;
  TimePoint now_;
  std::vector<std::shared_ptr<Entry>> alarms_;
};

}  // namespace goim::time
