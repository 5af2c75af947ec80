// comet::SessionReplay: keeps the routers' tables holding this comet's live sessions. The comets
// are the source of truth for connections; a router is an index of them, and its table is
// incomplete after it restarts, after its registration lapsed, or when keys move to it because
// another router left (router::SyncState). Every second, and at once when the routers in the
// membership change, this asks each router (Router.SyncState); when one says it needs this
// comet's sessions, and sees the same routers (so both place keys alike), the comet writes every
// live session that router owns by ketama (by key, and by mid) with Router.Put in batches, then
// says Router.SyncDone. A second pass 2 s later rewrites them once more, for connections that a
// logic with a not yet updated ring wrote elsewhere meanwhile. Runs on a thread of its own.
// [thread-safe]
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/router.grpc.pb.h"
#include "comet/context.h"
#include "pkg/discovery/discovery.h"

namespace goim::comet {

class SessionReplay {
 public:
  SessionReplay(Context& ctx, std::chrono::milliseconds timeout);
  ~SessionReplay();

  void Start();
  void Stop();
  // The routers in the membership; a change is checked at once.
  void SetRouters(const std::vector<discovery::Instance>& routers);
  // Writes every live session to its router again, now (this comet's registration lapsed and
  // came back: logic deleted its sessions when it left).
  void RewriteAll();

 private:
  struct Router {
    std::string name, addr, epoch;
    std::unique_ptr<goim::router::Router::Stub> stub;
    // When the next unasked rewrite (second pass, or RewriteAll) is due; 0: none. Steady clock
    // nanoseconds: RewriteAll sets it from another thread.
    std::atomic<int64_t> again_at{0};
  };
  void Run();
  // Asks one router and replays when it needs it; false when it should be asked again soon.
  bool Check(Router& r, const std::vector<std::string>& ring);
  // Writes every live session r owns under ring; false on a failed call.
  bool Replay(Router& r, const std::vector<std::string>& ring, size_t* written);
  void Deadline(grpc::ClientContext* c) const;

  Context& ctx_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Router>> routers_;  // by name
  bool changed_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace goim::comet
