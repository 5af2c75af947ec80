#include "pkg/net/in_flight.h"

namespace goim::net {

void InFlight::Begin() {
  std::lock_guard<std::mutex> lock(mu_);
  ++n_;
}

void InFlight::End() {
  // Notified under the lock: a waiter that wakes may destroy this object at once.
  std::lock_guard<std::mutex> lock(mu_);
  if (--n_ == 0) idle_.notify_all();
}

bool InFlight::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return n_ == 0; });
}

void InFlight::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return n_ == 0; });
}

int InFlight::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return n_;
}

}  // namespace goim::net
