#include "pkg/time/loop_timer.h"

namespace goim::time {

LoopTimer::LoopTimer(boost::asio::io_context& io, Clock& clock, size_t reserve)
    : Timer(reserve, clock), alarm_(clock.NewAlarm(io, [this] { Wake(); })) {}

void LoopTimer::Earliest(TimePoint when) {
  if (expiring_ || when >= armed_at_) return;
  armed_at_ = when;
  alarm_->At(when);
}

void LoopTimer::Wake() {
  armed_at_ = TimePoint::max();
  expiring_ = true;
  Expire();
  expiring_ = false;
  if (auto next = Next()) {
    armed_at_ = *next;
    alarm_->At(*next);
  }
}

}  // namespace goim::time
