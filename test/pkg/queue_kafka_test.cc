// The Kafka producer without a broker (the e2e_kafka suite runs it against a real one).
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

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

// The idempotent producer stops for good on a fatal error; the queue's producer replaces it, so
// the pushes after it go through. librdkafka's mock cluster (in this process) refuses the first
// InitProducerId with an authorization error, which is fatal for an idempotent producer.
TEST(KafkaProducer, AFatalErrorReplacesTheProducerAndLaterProducesGoThrough) {
  char err[256];
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
  ASSERT_NE(owner, nullptr) << err;
  rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(owner, 1);
  ASSERT_NE(mock, nullptr);
  rd_kafka_mock_topic_create(mock, "t", 1, 1);
  rd_kafka_mock_push_request_errors(mock, 22 /* InitProducerId */, 1,
                                    RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
  {
    KafkaOptions o;
    o.brokers = {rd_kafka_mock_cluster_bootstraps(mock)};
    o.topic = "t";
    o.properties["message.timeout.ms"] = "5000";
    auto p = NewKafkaProducer(o);
    auto produce = [&] {
      auto result = std::make_shared<std::promise<std::string>>();
      p->Produce("room", "value", [result](const std::string& e) { result->set_value(e); });
      auto f = result->get_future();
      return f.wait_for(std::chrono::seconds(10)) == std::future_status::ready ? f.get()
                                                                               : "no answer";
    };
    std::string first = produce();
    // Until the replacement: refused at once ("fatal error"); then accepted.
    std::string later = first;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!later.empty() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      later = produce();
    }
    EXPECT_NE(first, "no answer");
    EXPECT_EQ(later, "") << "first: " << first;
  }
  rd_kafka_mock_cluster_destroy(mock);
  rd_kafka_destroy(owner);
}

}  // namespace
}  // namespace goim::queue
