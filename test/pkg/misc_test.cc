#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/listen.h"
#include "pkg/net/url.h"
#include "pkg/queue/embedded.h"

namespace goim {
namespace {

TEST(Metrics, CountersSumAcrossThreadsAndRender) {
  metrics::Registry reg;
  metrics::Counter* c = reg.NewCounter("test_total{kind=\"a\"}", "help a");
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
  auto parsed = metrics::ParseText(text);
  ASSERT_EQ(parsed.size(), 4u);
  EXPECT_EQ(parsed[1].first, "test_total{kind=\"b\"}");
  EXPECT_EQ(parsed[1].second, 2);
  EXPECT_EQ(reg.Get("test_gauge"), -3);
}

TEST(Log, PrintableEscapesAndCutsClientValues) {
  EXPECT_EQ(log::Printable("live://1000"), "live://1000");
  EXPECT_EQ(log::Printable("a\nW1124 forged line"), "a\\x0aW1124 forged line");
  EXPECT_EQ(log::Printable(std::string("\x00\xff\\", 3)), "\\x00\\xff\\x5c");
  EXPECT_EQ(log::Printable(std::string(200, 'k'), 4), "kkkk...(200 bytes)");
}

TEST(Url, QueryRepeatedAndEscaped) {
  std::string bad;
  auto q = net::ParseQuery("mids=1&mids=2&keys=a%2Cb&x=hello+world&empty=&broken=%zz", &bad);
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"mids", "2"}));
  EXPECT_EQ(q[2].second, "a,b");
  EXPECT_EQ(q[3].second, "hello world");
  EXPECT_EQ(q[4].second, "");
  EXPECT_EQ(bad, "broken=%zz");
  EXPECT_EQ(net::PercentEncode("live://1 a"), "live%3A%2F%2F1%20a");
  EXPECT_FALSE(net::PercentDecode("%4").has_value());
  // Values go into protobuf strings: bytes that are not UTF-8 become U+FFFD, UTF-8 stays.
  q = net::ParseQuery("room=%FF1&rooms=%E6%88%BF");
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
  auto first = net::ListenAll(ios, "127.0.0.1:0");
  ASSERT_EQ(first.size(), 2u);
  std::string taken = "127.0.0.1:" + std::to_string(first[0]->local_endpoint().port());
  EXPECT_THROW(net::ListenAll(ios, taken), boost::system::system_error);
  auto plain = net::Listen(a, net::ParseEndpoint("127.0.0.1:0"), false);
  EXPECT_THROW(net::ListenAll(ios, "127.0.0.1:" + std::to_string(plain->local_endpoint().port())),
               boost::system::system_error);
}

TEST(Listen, ParsesGoimAddresses) {
  EXPECT_EQ(net::ToString(net::ParseEndpoint(":3101")), "0.0.0.0:3101");
  EXPECT_EQ(net::ToString(net::ParseEndpoint("127.0.0.1:0")), "127.0.0.1:0");
  EXPECT_EQ(net::ToString(net::ParseEndpoint("[::1]:80")), "[::1]:80");
  EXPECT_THROW(net::ParseEndpoint("3101"), std::invalid_argument);
  EXPECT_THROW(net::ParseEndpoint("1.2.3.4:99999"), std::invalid_argument);
  EXPECT_THROW(net::ParseEndpoint("nohost.example:1"), std::invalid_argument);
}

TEST(EmbeddedQueue, OrderedPerKeyBoundedAndCommitFreesRoom) {
  auto q = queue::Embedded::Create(4, 5);
  auto prod = q->NewProducer();
  auto cons = q->NewConsumer();
  std::vector<int32_t> assigned;
  cons->SetListener({[&](const std::vector<int32_t>& p) { assigned = p; }, nullptr});
  std::vector<std::string> errors;
  for (int i = 0; i < 6; ++i) {
    prod->Produce("room://1", "m" + std::to_string(i),
                  [&](const std::string& e) { errors.push_back(e); });
  }
  ASSERT_EQ(errors.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(errors[i], "");
  EXPECT_NE(errors[5].find("queue full"), std::string::npos);  // refused, never silently dropped
  std::vector<queue::Message> got;
  while (auto m = cons->Poll(10)) got.push_back(*m);
  EXPECT_EQ(assigned.size(), 4u);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].value, "m" + std::to_string(i));
    EXPECT_EQ(got[i].offset, i);
    EXPECT_EQ(got[i].partition, got[0].partition);
  }
  EXPECT_EQ(q->uncommitted(), 5u);
  cons->Commit({{got[0].partition, 3}});
  EXPECT_EQ(q->uncommitted(), 2u);
  std::string err = "unset";
  prod->Produce("room://1", "m6", [&](const std::string& e) { err = e; });
  EXPECT_EQ(err, "");
  cons->Pause();
  EXPECT_FALSE(cons->Poll(1).has_value());
  cons->Resume();
  auto m = cons->Poll(100);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value, "m6");
  EXPECT_EQ(m->offset, 5);
}

TEST(EmbeddedQueue, PollWakesOnProduce) {
  auto q = queue::Embedded::Create(2, 100);
  auto cons = q->NewConsumer();
  auto prod = q->NewProducer();
  std::thread t([&] { prod->Produce("k", "v", nullptr); });
  auto m = cons->Poll(5000);
  t.join();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value, "v");
}

TEST(EmbeddedQueue, PartitionOfMatchesSaramaFnv1a) {
  // fnv1a32("a") = 0xe40c292c; as int32 -468965076; Sarama: % 7 = -6, negated = 6.
  EXPECT_EQ(queue::PartitionOf("a", 7), 6);
  EXPECT_EQ(queue::PartitionOf("", 7), 0);
}

}  // namespace
}  // namespace goim
