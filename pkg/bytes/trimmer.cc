#include "pkg/bytes/trimmer.h"

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace goim::bytes {

Trimmer::Trimmer(std::chrono::nanoseconds min_interval, std::function<void()> trim, Clock clock)
    : min_interval_(min_interval),
      trim_(trim ? std::move(trim) : [] { malloc_trim(0); }),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }) {
  thread_ = std::thread([this] { Run(); });
}

Trimmer::~Trimmer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Trimmer::Request() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = true;
  }
  cv_.notify_one();
}

uint64_t Trimmer::trims() const {
  std::lock_guard<std::mutex> lock(mu_);
  return trims_;
}

uint64_t Trimmer::skipped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skipped_;
}

void Trimmer::Run() {
  pthread_setname_np(pthread_self(), "heap-trim");
  // Nice 19 rather than SCHED_IDLE: the thread holds malloc's arena locks while it trims, and an
  // idle-class holder could be kept off a busy CPU while a loop waits for that lock.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return requested_ || stop_; });
    if (stop_) return;
    requested_ = false;
    auto now = clock_();
    if (trimmed_once_ && now - last_ < min_interval_) {
      ++skipped_;
      continue;
    }
    trimmed_once_ = true;
    last_ = now;
    lock.unlock();
    trim_();
    lock.lock();
    ++trims_;
  }
}

}  // namespace goim::bytes
