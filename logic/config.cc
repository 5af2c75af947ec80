#include "logic/config.h"

namespace goim::logic {

std::string Config::Validate() const {
  if (std::string err = discovery.Validate(); !err.empty()) return err;
  if (node.heartbeat <= conf::Duration::zero()) return "node.heartbeat: must be > 0";
  if (node.heartbeatMax <= 0) return "node.heartbeatMax: must be > 0";
  if (httpServer.addr.empty()) return "httpServer.addr: must be set";
  if (httpServer.threads <= 0 || httpServer.threads > 64)
    return "httpServer.threads: must be in 1..64";
  if (httpServer.maxBodySize <= 0) return "httpServer.maxBodySize: must be > 0";
  if (httpServer.maxConns < 0) return "httpServer.maxConns: must be >= 0 (0: no limit)";
  if (rpcServer.addr.empty()) return "rpcServer.addr: must be set";
  if (router.nodes.empty()) return "router.nodes: at least one router node is needed";
  for (const auto& [name, addr] : router.nodes) {
    if (addr.empty()) return "router.nodes." + name + ": address is empty";
  }
  if (router.timeout <= conf::Duration::zero()) return "router.timeout: must be > 0";
  if (router.syncWait < conf::Duration::zero()) return "router.syncWait: must be >= 0";
  if (online.tick <= conf::Duration::zero()) return "online.tick: must be > 0";
  if (kafka.topic.empty()) return "kafka.topic: must be set";
  return discovery::Validate(comets, "comets");
}

queue::KafkaOptions Config::KafkaOptions() const {
  queue::KafkaOptions o;
  o.brokers = kafka.brokers;
  o.topic = kafka.topic;
  o.properties = kafka.properties;
  return o;
}

}  // namespace goim::logic
