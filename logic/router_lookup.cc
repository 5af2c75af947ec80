// RouterClient's lookups (GetKeys, GetMids): a router rebuilding its table answers "pending"
// for keys and mids it cannot vouch for (router::SyncState); they are asked again every 50 ms
// (timed by the client's clock, on its retry loop) until answered or router.syncWait passed, when
// the lookup fails naming the router. A push is so delivered late or refused with an error, never
// answered code 0 for a session the router simply did not have yet.
#include <glog/logging.h>

#include "logic/router_client.h"
#include "pkg/metrics/metrics.h"

namespace goim::logic {

namespace {
constexpr std::chrono::milliseconds kRetryEvery{50};

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* waited =
      r.NewCounter("goim_logic_router_pending_retries_total",
                   "Lookups asked again because a router was rebuilding its table");
  metrics::Counter* gave_up = r.NewCounter(
      "goim_logic_router_pending_failed_total",
      "Lookups failed because a router was still rebuilding its table after router.syncWait");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

std::string Key(const std::string& k) { return k; }
std::string Key(int64_t mid) { return std::to_string(mid); }
}  // namespace

std::string RouterClient::PendingError(const std::string& first, size_t n) const {
  auto t = topology();
  std::string node = t->ring.empty() ? "?" : t->ring.Get(first);
  auto it = t->nodes.find(node);
  std::string addr = it == t->nodes.end() ? "?" : it->second->addr;
  return "router " + node + " (" + addr +
         "): rebuilding its session table (it restarted, or keys moved to it) and the comets had "
         "not replayed it within router.syncWait (" +
         std::to_string(sync_wait_.count()) + "ms); " + std::to_string(n) +
         " keys or mids unresolved";
}

template <class T>
void RouterClient::Lookup(std::vector<T> ask, Once<T> once, std::vector<router::Session> found,
                          time::TimePoint until, SessionsDone done) {
  (this->*once)(ask, [this, once, found = std::move(found), until, done = std::move(done)](
                         const std::string& err, Found f) mutable {
    if (!err.empty()) return done(err, {});
    found.insert(found.end(), f.sessions.begin(), f.sessions.end());
    std::vector<T> pending;
    if constexpr (std::is_same_v<T, int64_t>) {
      pending = std::move(f.pending_mids);
    } else {
      pending = std::move(f.pending_keys);
    }
    if (pending.empty()) return done("", std::move(found));
    if (clock_.Now() + kRetryEvery > until) {
      Counters::Get().gave_up->Inc();
      std::string e = PendingError(Key(pending.front()), pending.size());
      LOG_EVERY_T(WARNING, 1) << "logic: lookup failed error(" << e << ")";
      return done(e, {});
    }
    After(kRetryEvery, [this, pending = std::move(pending), once, found = std::move(found), until,
                        done = std::move(done)]() mutable {
      Lookup(std::move(pending), once, std::move(found), until, std::move(done));
    });
    Counters::Get().waited->Inc();  // after: the retry's time is fixed once this counts it
  });
}

void RouterClient::GetKeys(const std::vector<std::string>& keys, SessionsDone done) {
  Lookup<std::string>(keys, &RouterClient::GetKeysOnce, {}, clock_.Now() + sync_wait_,
                      std::move(done));
}

void RouterClient::GetMids(const std::vector<int64_t>& mids, SessionsDone done) {
  Lookup<int64_t>(mids, &RouterClient::GetMidsOnce, {}, clock_.Now() + sync_wait_, std::move(done));
}

}  // namespace goim::logic
