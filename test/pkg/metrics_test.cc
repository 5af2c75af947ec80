#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/metrics/metrics.h"

namespace goim::metrics {
namespace {

TEST(Metrics, CountersSumAcrossThreadsAndRender) {
  Registry reg;
  Counter* c = reg.NewCounter("test_total{kind=\"a\"}", "help a");
  EXPECT_EQ(reg.NewCounter("test_total{kind=\"a\"}", "again"), c);
  reg.NewCounter("test_total{kind=\"b\"}", "help b")->Inc(2);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([c] {
      for (int i = 0; i < 1000; ++i) c->Inc();
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c->Value(), 4000u);
  reg.NewGauge("test_gauge", "g")->Set(-3);
  reg.NewCallbackGauge("test_cb", "cb", [] { return 2.5; });
  std::string text = reg.Render();
  EXPECT_NE(text.find("# TYPE test_total counter\n"), std::string::npos);
  EXPECT_EQ(text.find("help b"), std::string::npos);  // one HELP per family
  EXPECT_NE(text.find("test_total{kind=\"a\"} 4000\n"), std::string::npos);
  EXPECT_NE(text.find("test_gauge -3\n"), std::string::npos);
  EXPECT_NE(text.find("test_cb 2.5\n"), std::string::npos);
  auto parsed = ParseText(text);
  ASSERT_EQ(parsed.size(), 4u);
  EXPECT_EQ(parsed[1].first, "test_total{kind=\"b\"}");
  EXPECT_EQ(parsed[1].second, 2);
  EXPECT_EQ(reg.Get("test_gauge"), -3);
}

// 40 threads alive at once each get a cell of their own (past the 16 the counter holds inline),
// and the counter still sums every thread's adds.
TEST(Metrics, CountersKeepACellPerThreadPastSixteenThreads) {
  Registry reg;
  Counter* c = reg.NewCounter("test_many_total", "many threads");
  constexpr int kThreads = 40;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<int> index(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      index[t] = ThreadIndex();
      ++ready;
      while (!go) std::this_thread::yield();  // every thread alive until all have an index
      for (int i = 0; i < 1000; ++i) c->Inc();
    });
  }
  while (ready < kThreads) std::this_thread::yield();
  go = true;
  for (auto& t : ts) t.join();
  EXPECT_EQ(std::set<int>(index.begin(), index.end()).size(), static_cast<size_t>(kThreads));
  EXPECT_EQ(c->Value(), 40000u);
  // The indexes of exited threads are handed out again, so cells stay few and dense.
  int again = -1;
  std::thread([&] { again = ThreadIndex(); }).join();
  EXPECT_NE(std::set<int>(index.begin(), index.end()).count(again), 0u);
}

TEST(Metrics, SumGaugeAddsItsSourcesAtScrape) {
  Registry reg;
  SumGauge* g = reg.NewSumGauge("test_held", "held per loop");
  EXPECT_EQ(reg.NewSumGauge("test_held", "again"), g);
  std::atomic<int64_t> a{3}, b{4};
  g->Attach(&a, [&a] { return a.load(); });
  g->Attach(&b, [&b] { return b.load(); });
  EXPECT_EQ(g->Value(), 7);
  a = 10;
  EXPECT_NE(reg.Render().find("test_held 14\n"), std::string::npos);
  g->Detach(&a);
  EXPECT_EQ(reg.Get("test_held"), 4);
}

}  // namespace
}  // namespace goim::metrics
