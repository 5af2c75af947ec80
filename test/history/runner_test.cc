// history::Runner: a room's calls run one at a time in the order given (job's appends assign
// offsets in that order), other rooms' alongside; Drain waits for everything given before it;
// max_queued refuses at once; without threads calls run on the caller's thread.
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/history/runner.h"

namespace goim::history {
namespace {

TEST(Runner, ARoomsCallsRunInOrderOneAtATime) {
  Runner r(4, 0, "test");
  std::mutex mu;
  std::map<std::string, std::vector<int>> seen;
  std::map<std::string, int> running;
  bool overlapped = false;
  for (int i = 0; i < 200; ++i) {
    for (const std::string room : {"a", "b", "c"}) {
      ASSERT_TRUE(r.Run(room, [&, room, i] {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (running[room]++ > 0) overlapped = true;
        }
        std::this_thread::yield();
        std::lock_guard<std::mutex> lock(mu);
        --running[room];
        seen[room].push_back(i);
      }));
    }
  }
  r.Drain();
  EXPECT_EQ(r.queued(), 0u);
  EXPECT_FALSE(overlapped);
  for (const auto& [room, order] : seen) {
    ASSERT_EQ(order.size(), 200u) << room;
    for (int i = 0; i < 200; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i) << room;
  }
}

TEST(Runner, MaxQueuedRefusesAtOnce) {
  Runner r(1, 2, "test");
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> ran{0};
  EXPECT_TRUE(r.Run("a", [gate, &ran] {
    gate.wait();
    ++ran;
  }));
  EXPECT_TRUE(r.Run("a", [&ran] { ++ran; }));
  EXPECT_EQ(r.queued(), 2u);
  EXPECT_FALSE(r.Run("a", [&ran] { ran += 100; })) << "over max_queued: refused, not queued";
  release.set_value();
  r.Drain();
  EXPECT_EQ(ran.load(), 2);
}

TEST(Runner, WithoutThreadsCallsRunOnTheCaller) {
  Runner r(0, 0, "test");
  EXPECT_TRUE(r.inline_calls());
  std::thread::id where;
  EXPECT_TRUE(r.Run("a", [&] { where = std::this_thread::get_id(); }));
  EXPECT_EQ(where, std::this_thread::get_id());
  r.Drain();  // nothing to wait for
}

TEST(Runner, DestructionRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    Runner r(2, 0, "test");
    for (int i = 0; i < 50; ++i) r.Run(std::to_string(i), [&ran] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 50);
}

}  // namespace
}  // namespace goim::history
