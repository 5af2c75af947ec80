// A cluster whose membership lives in etcd, for the membership end-to-end tests: etcd on one host
// and routers, logics, comets and jobs placed on hosts (network namespaces from NetHosts, or
// the test's own loopback), against the local Kafka broker of the ctest fixture (reached from
// each namespace through a PortForward of its advertised loopback port). Nodes are added,
// killed (-9), restarted and queried by name.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/e2e/harness.h"
#include "test/e2e/netns.h"
#include "test/support/etcd_server.h"

namespace goim::e2e {

class MemberCluster {
 public:
  struct Options {
    std::vector<Host> hosts;  // every node and etcd go on one of these
    std::string ttl = "3s";   // discovery lease
    std::string sync_wait = "5s";
    // Set: every comet's WebSocket listens on this port (on its host's IP) and logic's
    // /goim/nodes/weighted names the comets by hostname with no domain, as goim.js needs (one
    // port for every node).
    int ws_port = 0;
    std::string static_dir;  // set: logic serves it at / (the danmaku page)
  };
  explicit MemberCluster(Options o);
  ~MemberCluster();

  // etcd on hosts[host]; the broker of the Kafka fixture; a fresh topic. Throws on failure.
  void Start(int etcd_host = 0);
  // Adds and starts a node: kind is router, logic, comet or job; waits for its ports.
  void Add(const std::string& kind, const std::string& name, int host);
  void Kill(const std::string& name);     // SIGKILL
  void Restart(const std::string& name);  // starts it again (same ports), waits for its ports
  void KillEtcd();
  void RestartEtcd();

  struct Node {
    std::string kind, name;
    int host = 0;
    std::string grpc, http, tcp, ws, metrics;  // addresses as the test dials them
    std::unique_ptr<Process> proc;
  };
  const Node& node(const std::string& name) const { return *nodes_.at(name); }
  std::vector<std::string> Names(const std::string& kind) const;
  const std::string& etcd_endpoint() const { return etcd_endpoint_; }

 private:
  std::string Yaml(const Node& n) const;
  void WaitUp(const Node& n);

  Options opts_;
  std::unique_ptr<testing::EtcdServer> etcd_;
  std::string etcd_endpoint_, broker_, topic_;
  std::vector<std::unique_ptr<PortForward>> forwards_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::vector<std::string> order_;
};

// Whether host:port accepts a TCP connection within timeout.
bool WaitAddr(const std::string& addr, std::chrono::milliseconds timeout = 20s);

}  // namespace goim::e2e
