// net::LoopPool: N event loops, one io_context and one thread each (muduo's one loop per
// thread). Work for a loop is posted to its io_context; the pool shares nothing between loops.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pkg/net/asio.h"

namespace goim::net {

class LoopPool {
 public:
  // n <= 0: one loop per core. name-<i> names each loop's thread.
  explicit LoopPool(int n, const char* name = "loop");
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  void Start();
  // Stops each loop, then lets it run on its own thread, until none is left, every handler that
  // is ready: work posted before Stop, completions of I/O closed before it (their aborted
  // handlers) and what those post in turn. I/O still open is abandoned, not waited for; so is a
  // post to a loop that has finished draining. Joins the threads. Idempotent.
  void Stop();

  int size() const { return static_cast<int>(loops_.size()); }
  asio::io_context& Get(int i) { return *loops_[i]->io; }

 private:
  struct Loop {
    std::unique_ptr<asio::io_context> io;
    std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
  std::string name_;
  bool started_ = false;
};

}  // namespace goim::net
