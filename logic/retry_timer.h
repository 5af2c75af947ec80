// logic::RetryTimer: runs callbacks after a delay on one thread of its own (RouterClient asks a
// rebuilding router again shortly). Destroying it runs nothing more and joins. [thread-safe]
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace goim::logic {

class RetryTimer {
 public:
  RetryTimer();
  ~RetryTimer();
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> due_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace goim::logic
