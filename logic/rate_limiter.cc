#include "logic/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace goim::logic {

RateLimiter::RateLimiter(int32_t burst, double per_second, size_t max_tracked, time::Clock& clock,
                         const char* what)
    : burst_(burst),
      per_second_(per_second),
      max_tracked_(std::max<size_t>(max_tracked, 1)),
      clock_(clock) {
  auto& r = metrics::Registry::Default();
  std::string label = std::string("{limit=\"") + what + "\"}";
  evicted_ = r.NewCounter("goim_logic_send_limiter_evicted_total" + label,
                          "Rate-limit buckets dropped before they were full (send.maxTracked)");
  tracked_ = r.NewGauge("goim_logic_send_limiter_tracked" + label, "Rate-limit buckets kept");
}

double RateLimiter::Refilled(const Bucket& b, time::TimePoint now) const {
  double idle = std::chrono::duration<double>(now - b.last).count();
  return std::min<double>(burst_, b.tokens + std::max(idle, 0.0) * per_second_);
}

bool RateLimiter::Take(const std::string& name) {
  if (burst_ <= 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  time::TimePoint now = clock_.Now();
  bool taken = true;
  auto it = buckets_.find(name);
  if (it == buckets_.end()) {
    lru_.push_front(name);
    buckets_.emplace(name, Bucket{burst_ - 1.0, now, lru_.begin()});
  } else {
    Bucket& b = it->second;
    b.tokens = Refilled(b, now);
    b.last = now;
    taken = b.tokens >= 1;
    if (taken) b.tokens -= 1;
    lru_.splice(lru_.begin(), lru_, b.lru);
  }
  Trim(now);
  tracked_->Set(static_cast<int64_t>(buckets_.size()));
  return taken;
}

void RateLimiter::Trim(time::TimePoint now) {
  while (lru_.size() > 1) {
    auto it = buckets_.find(lru_.back());
    bool full = Refilled(it->second, now) >= burst_;
    if (!full && buckets_.size() <= max_tracked_) return;
    if (!full) evicted_->Inc();
    buckets_.erase(it);
    lru_.pop_back();
  }
}

size_t RateLimiter::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return buckets_.size();
}

}  // namespace goim::logic
