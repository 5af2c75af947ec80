// queue::Kafka*: librdkafka implementations of Producer and Consumer. Every librdkafka property
// can be set from config (`properties`, applied last). Nothing here is specific to a broker
// version; a broker older than 0.11 needs settings in config (see configs/logic.yaml).
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

// The producer's settings where `properties` does not name them.
inline const std::map<std::string, std::string> kProducerDefaults{
    // A push answered code 0 is in every in-sync replica (goim: Sarama WaitForAll), and a produce
    // retried after a lost reply is not written twice: the broker drops it by its sequence.
    {"acks", "all"},
    {"enable.idempotence", "true"},
    // The same partition for a key as goim's Sarama hash partitioner.
    {"partitioner", "fnv1a"},
    // The HTTP reply waits for the broker's acknowledgement, so any wait before sending is paid
    // by each caller (librdkafka's default 5 ms capped a sequential caller at ~180 pushes/s).
    // Batches still form under load: while requests are in flight (at most 5 per broker with
    // idempotence) new messages queue and leave together in the next request.
    {"linger.ms", "0"},
    {"socket.nagle.disable", "true"},
    // How long a push may wait for the broker (outage, leader change) before its caller gets an
    // error; librdkafka's default is 5 minutes.
    {"message.timeout.ms", "30000"},
    // Back within a second of a broker's return (librdkafka's backoff grows to 10 s).
    {"reconnect.backoff.max.ms", "1000"},
};

// Throws std::runtime_error naming the bad property or the failure.
std::unique_ptr<Producer> NewKafkaProducer(const KafkaOptions& opts);
std::unique_ptr<Consumer> NewKafkaConsumer(const KafkaOptions& opts);

}  // namespace goim::queue
