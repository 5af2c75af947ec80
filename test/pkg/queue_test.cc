#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/queue/embedded.h"

namespace goim {
namespace {

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
