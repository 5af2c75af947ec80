// logic::Kicker: when a Connect moves a key to another comet, closes the key's older connection on
// the comet it left (goim.comet.Comet Kick, our addition), as goim closes it when both are on one
// comet: a key is then held by one connection across the cluster, and the older one is told (its
// connection ends) instead of silently losing the key's pushes. Comets are found by server id in
// logic's comets: the configured list, or the live membership (SetComets); one gRPC channel each
// (connected on first use). Every takeover is counted and logged; a kick that cannot reach the
// comet is counted as failed. [thread-safe]
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/comet.grpc.pb.h"
#include "pkg/discovery/discovery.h"
#include "pkg/net/in_flight.h"

namespace goim::logic {

class Kicker {
 public:
  Kicker(const std::vector<discovery::Instance>& comets, std::chrono::milliseconds timeout);
  // Waits for the kicks in flight.
  ~Kicker();

  // key connected on comet `to` while the router still had it on comet `from`.
  void Kick(const std::string& key, const std::string& from, const std::string& to);
  // Replaces the comets (a live membership): a comet whose name and gRPC address stay keeps its
  // channel; kicks in flight to one that left finish on theirs.
  void SetComets(const std::vector<discovery::Instance>& comets);

 private:
  using Stub = goim::comet::Comet::Stub;
  static std::shared_ptr<Stub> Dial(const std::string& addr);
  struct Comet {
    std::string addr;
    std::shared_ptr<Stub> stub;
  };
  mutable std::mutex mu_;
  std::map<std::string, Comet> comets_;  // by server id
  std::chrono::milliseconds timeout_;
  net::InFlight calls_;
};

}  // namespace goim::logic
