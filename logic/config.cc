#include "logic/config.h"

#include "pkg/net/async_http_client.h"

namespace goim::logic {

namespace {
std::string ValidateHook(const Config::Hook& h, const std::string& at, const char* a,
                         const char* b) {
  if (h.url.empty()) return "";
  net::HttpUrl u;
  if (std::string err = net::ParseHttpUrl(h.url, &u); !err.empty()) return at + ".url: " + err;
  if (h.timeout <= conf::Duration::zero()) return at + ".timeout: must be > 0";
  if (h.onFailure != a && h.onFailure != b) return at + ".onFailure: must be " + a + " or " + b;
  if (h.maxConns <= 0) return at + ".maxConns: must be > 0";
  return "";
}

std::string ValidateRate(const Config::Send::Rate& r, const std::string& at) {
  if (r.burst < 0) return at + ".burst: must be >= 0 (0: no limit)";
  if (r.burst > 0 && !(r.perSecond > 0)) return at + ".perSecond: must be > 0";
  return "";
}
}  // namespace

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
  if (send.operation == 0) return "send.operation: must not be 0";
  if (send.maxBodyBytes <= 0) return "send.maxBodyBytes: must be > 0";
  if (send.maxTracked <= 0) return "send.maxTracked: must be > 0";
  for (const std::string& err :
       {ValidateRate(send.rate, "send.rate"), ValidateRate(send.roomRate, "send.roomRate"),
        ValidateHook(auth.hook, "auth.hook", "refuse", "token"),
        ValidateHook(send.hook, "send.hook", "deny", "allow")}) {
    if (!err.empty()) return err;
  }
  if (std::string err = history.Validate(); !err.empty()) return err;
  if (history.enabled && history.store == "memory" && !historyInProcess)
    return "history.store: memory keeps the history inside one process (goim-standalone); "
           "goim-logic and goim-job share it in redis (or set history.enabled: false)";
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
