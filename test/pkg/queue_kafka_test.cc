// The Kafka producer without a broker (the e2e_kafka suite runs it against a real one).
#include <future>

#include <gtest/gtest.h>

#include "pkg/queue/kafka.h"

namespace goim::queue {
namespace {

// Without a broker, a produce is answered with an error once message.timeout.ms passes: never
// with success, never left unanswered.
TEST(KafkaProducer, WithoutABrokerTheCallerGetsAnErrorAfterTheMessageTimeout) {
  KafkaOptions o;
  o.brokers = {"127.0.0.1:1"};
  o.properties["message.timeout.ms"] = "300";
  auto p = NewKafkaProducer(o);
  std::promise<std::string> result;
  p->Produce("room", "value", [&](const std::string& err) { result.set_value(err); });
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_NE(f.get().find("timed out"), std::string::npos);
}

}  // namespace
}  // namespace goim::queue
