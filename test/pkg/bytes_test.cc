#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/bytes/pool.h"
#include "pkg/bytes/trimmer.h"

namespace goim::bytes {
namespace {

using namespace std::chrono_literals;

// Spins until pred holds (the trimmer works on its own thread); false after 10 s.
template <class Pred>
bool Eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(Pool, HandsOutDistinctBuffersAndReusesReturnedOnes) {
  Pool pool(64, 4);
  Buffer* a = pool.Get();
  Buffer* b = pool.Get();
  EXPECT_NE(a->data, b->data);
  EXPECT_EQ(pool.slabs(), 1u);
  EXPECT_EQ(pool.in_use(), 2u);
  pool.Put(a);
  EXPECT_EQ(pool.Get(), a);
  for (int i = 0; i < 3; ++i) pool.Get();
  EXPECT_EQ(pool.slabs(), 2u);  // grew by one slab when the free list ran out
  EXPECT_EQ(pool.in_use(), 5u);
}

TEST(Pool, InUseIsReadableFromAnotherThread) {
  Pool pool(64, 4);
  Buffer* a = pool.Get();
  pool.Get();
  size_t seen = 0;
  std::thread([&] { seen = pool.in_use(); }).join();
  EXPECT_EQ(seen, 2u);
  pool.Put(a);
  EXPECT_EQ(pool.in_use(), 1u);
}

// Requests are served off the caller's thread, at most once per interval (time from a fake
// clock).
TEST(Trimmer, TrimsOnItsOwnThreadAtMostOncePerInterval) {
  std::atomic<int64_t> now_s{1000};
  std::atomic<int> trims{0};
  std::atomic<bool> on_caller{false};
  const std::thread::id caller = std::this_thread::get_id();
  Trimmer t(
      10s,
      [&] {
        if (std::this_thread::get_id() == caller) on_caller = true;
        ++trims;
      },
      [&] { return std::chrono::steady_clock::time_point(std::chrono::seconds(now_s.load())); });
  t.Request();
  ASSERT_TRUE(Eventually([&] { return t.trims() == 1; }));
  now_s = 1005;
  t.Request();
  ASSERT_TRUE(Eventually([&] { return t.skipped() == 1; }));
  EXPECT_EQ(trims.load(), 1);
  now_s = 1010;
  t.Request();
  ASSERT_TRUE(Eventually([&] { return t.trims() == 2; }));
  EXPECT_EQ(trims.load(), 2);
  EXPECT_FALSE(on_caller.load());
}

}  // namespace
}  // namespace goim::bytes
