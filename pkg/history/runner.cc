#include "pkg/history/runner.h"

#include <pthread.h>

#include <future>

namespace goim::history {

Runner::Runner(int threads, size_t max_queued, const std::string& name) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    Shard* s = shards_.back().get();
    s->thread = std::thread([this, s, n = name + "-" + std::to_string(i)] {
      pthread_setname_np(pthread_self(), n.substr(0, 15).c_str());
      Work(s);
    });
  }
}

Runner::~Runner() {
  for (auto& s : shards_) {
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->stop = true;
    }
    s->cv.notify_one();
  }
  for (auto& s : shards_) s->thread.join();
}

bool Runner::Run(std::string_view key, std::function<void()> fn) {
  if (shards_.empty()) {
    fn();
    return true;
  }
  if (max_queued_ > 0 && queued_.load(std::memory_order_relaxed) >= max_queued_) return false;
  queued_.fetch_add(1, std::memory_order_relaxed);
  Shard& s = *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.q.push_back({std::move(fn), true});
  }
  s.cv.notify_one();
  return true;
}

void Runner::Work(Shard* s) {
  std::unique_lock<std::mutex> lock(s->mu);
  for (;;) {
    s->cv.wait(lock, [s] { return s->stop || !s->q.empty(); });
    if (s->q.empty()) return;  // stopping, and everything queued has run
    Item it = std::move(s->q.front());
    s->q.pop_front();
    lock.unlock();
    it.fn();
    // Before the next item runs: once Drain's marker has run, every call before it is uncounted.
    if (it.counted) queued_.fetch_sub(1, std::memory_order_relaxed);
    lock.lock();
  }
}

void Runner::Drain() {
  std::vector<std::future<void>> done;
  for (auto& s : shards_) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->q.push_back({[p] { p->set_value(); }, false});
    }
    s->cv.notify_one();
  }
  for (auto& f : done) f.wait();
}

}  // namespace goim::history
