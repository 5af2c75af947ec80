// history::Runner: the history store's blocking calls (Redis: one round trip, up to
// redis.timeout) kept off the event loops. Worker threads, each with its own FIFO: a call keyed by
// a room runs on the thread the room hashes to, so one room's calls run one at a time in the order
// they were given (job's appends must reach the store in the room's order, which assigns the
// offsets). With 0 threads a call runs at once on the caller's thread (the memory store, which
// holds its mutex for one batch or one copy of maxRequest messages). [thread-safe]
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace goim::history {

class Runner {
 public:
  // max_queued: calls waiting or running at most (0: no bound; the caller bounds them, as job
  // does by pausing consumption). name: the threads' name prefix ("history-3").
  Runner(int threads, size_t max_queued, const std::string& name);
  ~Runner();  // runs what is queued, then joins
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs fn on key's thread (inline without threads); false, fn dropped, when max_queued calls
  // are waiting already.
  bool Run(std::string_view key, std::function<void()> fn);
  // Calls waiting or running.
  size_t queued() const { return queued_.load(std::memory_order_relaxed); }
  // Returns once every call given before it has returned (and left queued()).
  void Drain();
  bool inline_calls() const { return shards_.empty(); }

 private:
  struct Item {
    std::function<void()> fn;
    bool counted = true;  // in queued_ (Drain's markers are not)
  };
  struct Shard {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Item> q;
    bool stop = false;
    std::thread thread;
  };
  void Work(Shard* s);

  const size_t max_queued_;
  std::atomic<size_t> queued_{0};
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace goim::history
