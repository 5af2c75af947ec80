#include "job/config.h"

#include "pkg/history/store.h"

namespace goim::job {

std::string Config::Validate() const {
  if (std::string err = discovery.Validate(); !err.empty()) return err;
  if (kafka.topic.empty()) return "kafka.topic: must be set";
  if (kafka.group.empty()) return "kafka.group: must be set";
  if (consumer.maxInflight <= 0) return "consumer.maxInflight: must be > 0";
  if (consumer.commitInterval <= conf::Duration::zero())
    return "consumer.commitInterval: must be > 0";
  if (room.batch <= 0) return "room.batch: must be > 0";
  if (room.signal < conf::Duration::zero()) return "room.signal: must be >= 0";
  if (room.writesPerSecond <= 0) return "room.writesPerSecond: must be > 0";
  if (room.idle <= conf::Duration::zero()) return "room.idle: must be > 0";
  if (comet.lanes <= 0 || comet.lanes > 1024) return "comet.lanes: must be in 1..1024";
  if (comet.queue <= 0) return "comet.queue: must be > 0";
  if (comet.timeout <= conf::Duration::zero()) return "comet.timeout: must be > 0";
  if (comet.retryBackoff <= conf::Duration::zero()) return "comet.retryBackoff: must be > 0";
  if (comet.failTimeout <= conf::Duration::zero()) return "comet.failTimeout: must be > 0";
  if (comet.roomsInterval <= conf::Duration::zero()) return "comet.roomsInterval: must be > 0";
  if (broadcast.noComets != "wait" && broadcast.noComets != "drop")
    return "broadcast.noComets: must be wait or drop";
  if (std::string err = history.Validate(); !err.empty()) return err;
  if (history.enabled && history.store == "memory" && !historyInProcess)
    return "history.store: memory keeps the history inside one process (goim-standalone); "
           "goim-job and goim-logic share it in redis (or set history.enabled: false)";
  // One batch is one append to the store, which takes at most history::kMaxBatch messages.
  if (history.enabled && room.batch > static_cast<int32_t>(history::kMaxBatch))
    return "room.batch: must be <= " + std::to_string(history::kMaxBatch) + " with history.enabled";
  for (size_t i = 0; i < comets.size(); ++i) {
    if (comets[i].grpc.empty()) return "comets[" + std::to_string(i) + "].grpc: must be set";
  }
  return discovery::Validate(comets, "comets");
}

queue::KafkaOptions Config::KafkaOptions() const {
  queue::KafkaOptions o;
  o.brokers = kafka.brokers;
  o.topic = kafka.topic;
  o.group = kafka.group;
  o.properties = kafka.properties;
  return o;
}

}  // namespace goim::job
