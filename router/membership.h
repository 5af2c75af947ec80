// router::Membership: a router in a live membership (discovery.etcd): registers goim.router with
// its gRPC address and this process's epoch, and feeds its SyncState: the routers (one that
// leaves hands its keys to the others, whose tables then wait for the comets' replay), the
// comets (whom a rebuild waits for) and its own registration (back after a lapse: the table
// missed writes). Without etcd it does nothing: logic lists routers in router.nodes.
#pragma once

#include <memory>

#include "pkg/discovery/membership.h"
#include "router/config.h"
#include "router/router_server.h"

namespace goim::router {

// [Start and Stop on the owner's thread; the watch callbacks run on the backend's threads]
class Membership {
 public:
  Membership(const Config& cfg, RouterServer& server);
  ~Membership();

  // Registers (after the server listens); throws std::runtime_error when etcd cannot be reached.
  void Start();
  // Leaves the membership (before the server stops).
  void Stop();

 private:
  Config cfg_;
  RouterServer& server_;
  std::unique_ptr<discovery::Backend> backend_;
  std::unique_ptr<discovery::Watch> members_;  // goim.comet and goim.router, one ordered stream
  std::unique_ptr<discovery::Registration> self_;
};

}  // namespace goim::router
