#include "cmd/standalone/config.h"

#include "pkg/net/listen.h"

namespace goim::standalone {

namespace {
// "host:port" others can dial for a listen address (":3119" -> "127.0.0.1:3119").
std::string Dialable(const std::string& addr) {
  return !addr.empty() && addr.front() == ':' ? "127.0.0.1" + addr : addr;
}
}  // namespace

Config::Config() {
  env.host = "standalone";
  comet.metrics.addr = "";  // one /metrics for the process: logic's HTTP port
  router.metrics.addr = "";
  job.metrics.addr = "";
  logic.send.enabled = true;  // the danmaku page sends over its connection
}

std::string Config::Validate() {
  env.Resolve();
  router.env = logic.env = comet.env = job.env = env;
  for (const auto* addr : {&router.rpcServer.addr, &logic.rpcServer.addr, &comet.rpcServer.addr}) {
    try {
      if (net::ParseEndpoint(*addr).port() == 0)
        return *addr + ": standalone needs fixed ports for its gRPC addresses";
    } catch (const std::exception& e) {
      return e.what();
    }
  }
  logic.router.nodes = {{"router-1", Dialable(router.rpcServer.addr)}};
  comet.rpcClient.logic = {Dialable(logic.rpcServer.addr)};
  if (logic.comets.empty()) {
    discovery::Instance self;
    self.hostname = env.host;
    self.region = env.region;
    self.zone = env.zone;
    self.grpc = Dialable(comet.rpcServer.addr);
    self.addrs = env.addrs.empty() ? std::vector<std::string>{"127.0.0.1"} : env.addrs;
    self.weight = env.weight;
    logic.comets = {self};
  }
  if (job.comets.empty()) job.comets = logic.comets;
  logic.history = job.history = history;
  logic.historyInProcess = job.historyInProcess = true;
  for (const auto* d : {&router.discovery, &logic.discovery, &comet.discovery, &job.discovery}) {
    if (d->enabled())
      return "discovery: standalone's services find each other in-process; run the service "
             "binaries for a cluster with etcd";
  }
  if (queue.partitions <= 0) return "queue.partitions: must be > 0";
  if (queue.capacity <= 0) return "queue.capacity: must be > 0";
  for (const std::string& err :
       {router.Validate(), logic.Validate(), comet.Validate(), job.Validate()}) {
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace goim::standalone
