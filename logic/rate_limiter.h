// logic::RateLimiter: token buckets by name (a sender, a room) for the send path. A bucket holds
// at most burst tokens and gains perSecond of them a second; each send takes one, a send that
// finds none is refused (and takes nothing). The table is bounded: buckets are kept in
// least-recently-used order; a bucket idle long enough to be full again is dropped (a new one
// would behave the same), and past max_tracked the least recently used one is dropped although
// not full, counted in goim_logic_send_limiter_evicted_total (that name's limit starts over).
// Time comes from the clock given (a FakeClock in tests). [thread-safe]
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "pkg/metrics/metrics.h"
#include "pkg/time/clock.h"

namespace goim::logic {

class RateLimiter {
 public:
  // burst 0: no limit. what: the metrics label ("mid", "room").
  RateLimiter(int32_t burst, double per_second, size_t max_tracked, time::Clock& clock,
              const char* what);

  bool limited() const { return burst_ > 0; }
  // Takes a token from name's bucket; false when it has none.
  bool Take(const std::string& name);
  // Buckets kept now.
  size_t size() const;

 private:
  struct Bucket {
    double tokens;
    time::TimePoint last;
    std::list<std::string>::iterator lru;
  };
  double Refilled(const Bucket& b, time::TimePoint now) const;
  // Drops full buckets from the least recently used end, and any beyond max_tracked_.
  void Trim(time::TimePoint now);

  const int32_t burst_;
  const double per_second_;
  const size_t max_tracked_;
  time::Clock& clock_;
  metrics::Counter* evicted_;
  metrics::Gauge* tracked_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // most recently used first
};

}  // namespace goim::logic
