#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/net/loop_pool.h"

namespace goim::net {
namespace {

// Stop lets each loop run what is ready on its own thread: work queued before Stop, the aborted
// completion of I/O cancelled while stopping and what those handlers post; I/O left open is
// abandoned rather than waited for.
TEST(LoopPool, StopDrainsQueuedWorkAndAbortedIo) {
  LoopPool pool(1, "t");
  asio::io_context& io = pool.Get(0);
  asio::steady_timer cancelled(io), open(io);
  std::atomic<int> ran{0};
  std::atomic<bool> entered{false}, release{false}, aborted{false}, on_loop{true};
  pool.Start();
  const std::thread::id caller = std::this_thread::get_id();
  asio::post(io, [&] {
    cancelled.expires_after(std::chrono::hours(1));
    cancelled.async_wait(
        [&](boost::system::error_code ec) { aborted = ec == asio::error::operation_aborted; });
    open.expires_after(std::chrono::hours(1));
    open.async_wait([](boost::system::error_code) {});
    entered = true;
    while (!release) std::this_thread::yield();
    cancelled.cancel();
    asio::post(io, [&] {
      ++ran;
      asio::post(io, [&] { ++ran; });
    });
  });
  while (!entered) std::this_thread::yield();
  // The loop is held: these queue behind it, and it is let go once Stop has stopped it.
  for (int i = 0; i < 100; ++i) {
    asio::post(io, [&] {
      ++ran;
      if (std::this_thread::get_id() == caller) on_loop = false;
    });
  }
  std::thread releaser([&] {
    while (!io.stopped()) std::this_thread::yield();
    release = true;
  });
  pool.Stop();
  releaser.join();
  EXPECT_EQ(ran.load(), 102);
  EXPECT_TRUE(aborted.load());
  EXPECT_TRUE(on_loop.load());
}

}  // namespace
}  // namespace goim::net
