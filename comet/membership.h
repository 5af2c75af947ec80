// comet::Membership: a comet in a live membership (discovery.etcd): registers goim.comet with its
// gRPC address, weight, public addrs and offline flag, and refreshes conn_count and ip_count
// every online.interval (goim: every 10 s), so logic and job find it and drop it when it dies.
// While the registration has lapsed (etcd unreachable for a whole TTL) the cluster routes
// nothing here, so new connections are refused until it is live again (Context::admitting).
// Without etcd it does nothing.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "comet/server.h"
#include "comet/session_replay.h"
#include "pkg/discovery/membership.h"

namespace goim::comet {

// [Start and Stop on the owner's thread; the watch callbacks run on the backend's threads]
class Membership {
 public:
  explicit Membership(Server& server);
  ~Membership();

  // Registers (after the server listens); throws std::runtime_error when etcd cannot be reached.
  void Start();
  // Leaves the membership (before the server stops).
  void Stop();

 private:
  void RefreshLoop();

  Server& server_;
  Context& ctx_;
  discovery::Instance self_;
  std::unique_ptr<discovery::Backend> backend_;
  std::unique_ptr<discovery::Registration> reg_;
  std::unique_ptr<SessionReplay> replay_;
  std::unique_ptr<discovery::Watch> routers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread refresher_;
};

}  // namespace goim::comet
