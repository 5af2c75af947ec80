// logic::Balancer: goim's weighted comet selection for /goim/nodes/weighted. Each request
// scores every online comet by its configured weight (x regionWeight when the comet is in the
// client's region) against its share of connections, hands out the best first, and counts one
// more connection on it until the next online report brings real counts. [thread-safe]
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "pkg/discovery/discovery.h"

namespace goim::logic {

class Balancer {
 public:
  // Replaces the node set; conn_counts (server -> connections, from online reports) reset a
  // node's counted connections when they changed since the last update.
  void Update(const std::vector<discovery::Instance>& comets,
              const std::map<std::string, int64_t>& conn_counts);
  // Up to 5 nodes, best first: domains (hostname + host_domain) and public addresses.
  void NodeAddrs(const std::string& region, const std::string& host_domain, double region_weight,
                 std::vector<std::string>* domains, std::vector<std::string>* addrs);
  size_t size() const;

 private:
  struct Node {
    discovery::Instance in;
    int64_t reported_conns = -1;
    int64_t current_conns = 0;
    int64_t current_weight = 0;
  };
  mutable std::mutex mu_;
  std::vector<Node> nodes_;
  int64_t total_weight_ = 0;
  int64_t total_conns_ = 0;
};

}  // namespace goim::logic
