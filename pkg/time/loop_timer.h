// time::LoopTimer: the min-heap timer of one event loop, which wakes its loop by itself. An Add or
// Set that puts an entry ahead of the armed wake-up re-arms it, so callers only Add, Set and Del;
// the wake-up runs Expire() and re-arms for the next entry. Time and wake-ups come from the
// injected clock (a FakeClock in tests). [loop thread only]
#pragma once

#include <memory>

#include "pkg/time/timer.h"

namespace goim::time {

class LoopTimer final : public Timer {
 public:
  LoopTimer(boost::asio::io_context& io, Clock& clock, size_t reserve = 1024);

 private:
  void Earliest(TimePoint when) override;
  void Wake();

  std::unique_ptr<Alarm> alarm_;
  TimePoint armed_at_ = TimePoint::max();
  bool expiring_ = false;  // Wake re-arms once after Expire, whatever the callbacks add
};

}  // namespace goim::time
