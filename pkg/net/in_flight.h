// net::InFlight: counts asynchronous calls whose completion has not finished, so an owner can wait,
// at shutdown or in its destructor, until none can call back into it any more. [thread-safe]
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace goim::net {

class InFlight {
 public:
  void Begin();
  void End();
  // Blocks until no call is in flight; false when timeout passed first.
  bool WaitIdle(std::chrono::milliseconds timeout);
  void WaitIdle();
  int count() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int n_ = 0;
};

}  // namespace goim::net
