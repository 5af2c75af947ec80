#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/net/listen.h"
#include "pkg/net/loop_pool.h"
#include "pkg/net/url.h"

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

TEST(Url, QueryRepeatedAndEscaped) {
  std::string bad;
  auto q = ParseQuery("mids=1&mids=2&keys=a%2Cb&x=hello+world&empty=&broken=%zz", &bad);
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"mids", "2"}));
  EXPECT_EQ(q[2].second, "a,b");
  EXPECT_EQ(q[3].second, "hello world");
  EXPECT_EQ(q[4].second, "");
  EXPECT_EQ(bad, "broken=%zz");
  EXPECT_EQ(PercentEncode("live://1 a"), "live%3A%2F%2F1%20a");
  EXPECT_FALSE(PercentDecode("%4").has_value());
  // Values go into protobuf strings: bytes that are not UTF-8 become U+FFFD, UTF-8 stays.
  q = ParseQuery("room=%FF1&rooms=%E6%88%BF");
  EXPECT_EQ(q[0].second,
            "\xEF\xBF\xBD"
            "1");
  EXPECT_EQ(q[1].second, "\xE6\x88\xBF");
}

// The acceptors of one process share a port through SO_REUSEPORT; a port another process (here
// another socket) listens on is refused rather than shared.
TEST(Listen, APortListenedOnElsewhereIsRefused) {
  asio::io_context a, b;
  std::vector<asio::io_context*> ios{&a, &b};
  auto first = ListenAll(ios, "127.0.0.1:0");
  ASSERT_EQ(first.size(), 2u);
  std::string taken = "127.0.0.1:" + std::to_string(first[0]->local_endpoint().port());
  EXPECT_THROW(ListenAll(ios, taken), boost::system::system_error);
  auto plain = Listen(a, ParseEndpoint("127.0.0.1:0"), false);
  EXPECT_THROW(ListenAll(ios, "127.0.0.1:" + std::to_string(plain->local_endpoint().port())),
               boost::system::system_error);
}

TEST(Listen, ParsesGoimAddresses) {
  EXPECT_EQ(ToString(ParseEndpoint(":3101")), "0.0.0.0:3101");
  EXPECT_EQ(ToString(ParseEndpoint("127.0.0.1:0")), "127.0.0.1:0");
  EXPECT_EQ(ToString(ParseEndpoint("[::1]:80")), "[::1]:80");
  EXPECT_THROW(ParseEndpoint("3101"), std::invalid_argument);
  EXPECT_THROW(ParseEndpoint("1.2.3.4:99999"), std::invalid_argument);
  EXPECT_THROW(ParseEndpoint("nohost.example:1"), std::invalid_argument);
}

}  // namespace
}  // namespace goim::net
