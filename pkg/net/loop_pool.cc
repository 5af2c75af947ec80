#include "pkg/net/loop_pool.h"

#include <pthread.h>

#include <glog/logging.h>

namespace goim::net {

namespace {

// Runs run (io.run or io.poll) until it returns normally. A handler must not throw; if one does,
// it is logged and the loop keeps going.
template <class Run>
void Guarded(int i, Run run) {
  for (;;) {
    try {
      run();
      return;
    } catch (const std::exception& e) {
      LOG(ERROR) << "net: loop " << i << " handler threw error(" << e.what() << ")";
    }
  }
}

}  // namespace

LoopPool::LoopPool(int n, const char* name) : name_(name) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    auto loop = std::make_unique<Loop>();
    // Concurrency hint 1: each io_context is run by exactly one thread.
    loop->io = std::make_unique<asio::io_context>(1);
    loop->guard = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        loop->io->get_executor());
    loops_.push_back(std::move(loop));
  }
}

LoopPool::~LoopPool() { Stop(); }

void LoopPool::Start() {
  if (started_) return;
  started_ = true;
  for (size_t i = 0; i < loops_.size(); ++i) {
    Loop* loop = loops_[i].get();
    std::string tname = name_ + "-" + std::to_string(i);
    loop->thread = std::thread([loop, i, tname] {
      pthread_setname_np(pthread_self(), tname.substr(0, 15).c_str());
      asio::io_context& io = *loop->io;
      Guarded(static_cast<int>(i), [&] { io.run(); });
      // Stopped: drain what is ready on this loop's own thread ([loop thread only] code runs
      // here, never on the stopping thread). poll() also runs what these handlers post.
      io.restart();
      Guarded(static_cast<int>(i), [&] { io.poll(); });
    });
  }
}

void LoopPool::Stop() {
  for (auto& loop : loops_) {
    loop->guard.reset();
    if (loop->thread.joinable()) loop->io->stop();
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

}  // namespace goim::net
