// router::RouterServer: the goim.router.Router gRPC service over a SessionStore and an
// OnlineStore, plus the cleaner thread. Used by cmd/router and by standalone.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <grpcpp/server.h>

#include "pkg/time/clock.h"
#include "router/config.h"
#include "router/online_store.h"
#include "router/session_store.h"
#include "router/sync_state.h"

namespace goim::router {

class RouterServer {
 public:
  // clock: where the table's sync timeout takes its time (a FakeClock in tests).
  explicit RouterServer(const Config& cfg, time::Clock& clock = time::SystemClock());
  ~RouterServer();

  // Binds rpcServer.addr and starts serving; throws std::runtime_error on a failed bind.
  void Start();
  void Stop();
  int port() const { return port_; }
  // Random per process: names this incarnation of the table (it starts empty).
  const std::string& epoch() const { return epoch_; }
  SessionStore& sessions() { return *sessions_; }
  // Whether the table is complete, fed by router::Membership.
  SyncState& sync() { return *sync_; }
  OnlineStore& online() { return *online_; }

 private:
  class Service;
  void CleanLoop();

  Config cfg_;
  const std::string epoch_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<SyncState> sync_;
  std::unique_ptr<OnlineStore> online_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread cleaner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace goim::router
