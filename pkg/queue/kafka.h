// queue::Kafka*: librdkafka implementations of Producer and Consumer. Every librdkafka property
// can be set from config (`properties`); for the local Kafka 0.9 test broker that means
// api.version.request=false and broker.version.fallback=0.9.0.1, which modern Kafka needs not.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "pkg/queue/queue.h"

namespace goim::queue {

struct KafkaOptions {
  std::vector<std::string> brokers{"127.0.0.1:9092"};
  std::string topic = "goim-push-topic";
  std::string group = "goim-push-group-job";      // consumer only
  std::map<std::string, std::string> properties;  // any librdkafka property, applied last
};

// Throws std::runtime_error naming the bad property or the failure.
std::unique_ptr<Producer> NewKafkaProducer(const KafkaOptions& opts);
std::unique_ptr<Consumer> NewKafkaConsumer(const KafkaOptions& opts);

}  // namespace goim::queue
