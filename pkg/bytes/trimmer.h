// bytes::Trimmer: gives freed heap back to the system (glibc's malloc_trim) from a thread of its
// own at the lowest nice level, at most once per min_interval. A connect storm leaves megabytes
// of freed RPC and auth buffers inside malloc's arenas, which would otherwise stay resident;
// trimming walks every arena under its lock, so an event loop must neither run it nor wait for
// it. Request() only wakes the thread. [thread-safe]
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace goim::bytes {

class Trimmer {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // trim and clock are for tests (default: malloc_trim(0) and the steady clock).
  explicit Trimmer(std::chrono::nanoseconds min_interval, std::function<void()> trim = nullptr,
                   Clock clock = nullptr);
  ~Trimmer();  // joins the thread (waits for a trim in progress)
  Trimmer(const Trimmer&) = delete;
  Trimmer& operator=(const Trimmer&) = delete;

  // Asks for a trim. Requests while one is pending count once; a request less than
  // min_interval after the last trim is dropped (the next periodic request comes soon).
  void Request();

  uint64_t trims() const;
  uint64_t skipped() const;

 private:
  void Run();

  const std::chrono::nanoseconds min_interval_;
  std::function<void()> trim_;
  Clock clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stop_ = false;
  bool trimmed_once_ = false;
  std::chrono::steady_clock::time_point last_;
  uint64_t trims_ = 0;
  uint64_t skipped_ = 0;
  std::thread thread_;
};

}  // namespace goim::bytes
