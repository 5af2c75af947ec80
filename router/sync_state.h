// router::SyncState: whether this router's session table is known to be incomplete, and who must
// fill it. The comets hold every live connection; the router is an index of them. With a live
// membership the table is incomplete
//   - from the start of the process (a restart starts empty; a new router owns keys at once),
//   - after its registration lapsed and came back (writes went elsewhere meanwhile),
//   - after another router left the ring (its keys moved here: only those keys are incomplete),
// and it is complete again once every comet that was a member when the round began has replayed
// its sessions for it (SyncDone), or after sync.timeout (logged, counted). While incomplete,
// lookups of affected keys and mids are answered "pending" rather than "not found", so logic
// waits (bounded) instead of answering a push code 0 that reaches nobody. So is a lookup of a key
// this node does not own under the ring it sees: the asking logic saw a membership change this
// node has not seen yet (or the reverse), and a moment later they agree. Without a membership
// (static routers) none of this applies: nothing would replay the table. [thread-safe]
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pkg/hash/ketama.h"

namespace goim::router {

class SyncState {
 public:
  using Clock = std::chrono::steady_clock;
  using NowFn = std::function<Clock::time_point()>;

  // live: whether a membership will feed this state (otherwise it is always complete).
  SyncState(bool live, std::string self, std::string epoch, Clock::duration timeout,
            NowFn now = nullptr);

  // The routers' names in the membership; a name that left begins a round.
  void SetRouters(const std::vector<std::string>& names);
  // The comets' names in the membership: the ones a round waits for.
  void SetComets(const std::vector<std::string>& names);
  // Everything is incomplete again (the registration lapsed and came back).
  void BeginAll(const std::string& why);

  struct View {
    std::string epoch;
    int64_t round = 0;
    bool syncing = false;
    bool need = false;              // this comet has not completed the round
    std::vector<std::string> ring;  // the router names the round's placement uses
  };
  View Get(const std::string& comet);
  // A comet finished replaying round `round` of `epoch`; returns whether the table is still
  // incomplete.
  bool Done(const std::string& comet, const std::string& epoch, int64_t round);

  // Whether a lookup of this key (mid as decimal) must wait: the table is incomplete for it.
  bool Pending(const std::string& key);
  bool syncing();
  const std::string& epoch() const { return epoch_; }

 private:
  // Caller holds mu_.
  void Begin(std::optional<hash::Ketama> before, const std::string& why);
  void Check();  // completes the round when every comet is done, or on timeout

  const bool live_;
  const std::string self_;
  const std::string epoch_;
  const Clock::duration timeout_;
  NowFn now_;

  std::mutex mu_;
  std::vector<std::string> routers_;             // sorted
  hash::Ketama ring_{{}};                        // of routers_
  std::optional<std::set<std::string>> comets_;  // unknown until the first list
  int64_t round_ = 1;
  bool syncing_;
  std::atomic<bool> syncing_flag_;  // syncing_, read without the lock by Pending's fast path
  Clock::time_point started_;
  // Keys this node owned under `before_` were complete when the round began; none: everything
  // is incomplete.
  std::optional<hash::Ketama> before_;
  std::set<std::string> waiting_;  // comets of the round not done yet
  std::set<std::string> done_;     // comets done with the round
  bool comets_known_at_begin_ = false;
};

}  // namespace goim::router
