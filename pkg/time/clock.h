// time::Clock: where a service's time comes from. Production code uses SystemClock() (the steady
// clock); tests inject a FakeClock (fake_clock.h) and move time by hand. A clock also makes the
// alarms that wake an event loop at one of its time points, so a loop running on a fake clock
// wakes when the fake time gets there, never on the real one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace goim::time {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;

// Wakes one event loop: fire runs on the loop once the clock reaches the time last given to At.
// [loop thread only]
class Alarm {
 public:
  virtual ~Alarm() = default;
  // Arms the alarm for when, replacing the previous time.
  virtual void At(TimePoint when) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // [thread-safe]
  virtual TimePoint Now() const = 0;
  // An alarm that runs fire on io. [thread-safe]
  virtual std::unique_ptr<Alarm> NewAlarm(boost::asio::io_context& io,
                                          std::function<void()> fire) = 0;
};

// The steady clock; its alarms are Asio steady timers.
Clock& SystemClock();

}  // namespace goim::time
