// net::LoopPool: N event loops, one io_context and one thread each (muduo's one loop per
// thread). Work for a loop is posted to its io_context; nothing is shared between loops.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "pkg/net/asio.h"

namespace goim::net {

class LoopPool {
 public:
  // n == 0: one loop per core.
  explicit LoopPool(int n, const char* name = "loop");
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  void Start();
  // Lets the loops finish queued work and exit; joins the threads. Idempotent.
  void Stop();

  int size() const { return static_cast<int>(loops_.size()); }
  asio::io_context& Get(int i) { return *loops_[i]->io; }
  // The loop whose thread is calling, or -1.
  static int Current();

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
