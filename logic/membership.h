// logic::Membership: a logic in a live membership (discovery.etcd): registers goim.logic (gRPC
// address, weight), follows goim.comet into LogicCore::SetComets and goim.router into
// RouterClient::SetNodes (the ketama ring follows the routers that are up). Without etcd it does
// nothing: router.nodes and comets come from the config.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "logic/config.h"
#include "logic/logic.h"
#include "pkg/discovery/membership.h"

namespace goim::logic {

// [Start and Stop on the owner's thread; the watch callbacks run on the backend's threads]
class Membership {
 public:
  Membership(const Config& cfg, LogicCore& core);
  ~Membership();

  // Reads the comets and routers and follows them (before the server starts, so its first calls
  // go to the members); throws std::runtime_error when etcd cannot be reached.
  void Follow();
  // Registers goim.logic once its gRPC server listens on grpc_port; throws like Follow.
  void Register(int grpc_port);
  // Leaves the membership and stops following it.
  void Stop();

 private:
  void OnRouters(const std::vector<discovery::Instance>& routers);

  Config cfg_;
  LogicCore& core_;
  std::unique_ptr<discovery::Backend> backend_;
  std::unique_ptr<discovery::Watch> comets_;
  std::unique_ptr<discovery::Watch> routers_;
  std::unique_ptr<discovery::Registration> self_;
  std::map<std::string, std::string> router_epochs_;  // [routers watch thread]
};

}  // namespace goim::logic
