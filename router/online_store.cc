#include "router/online_store.h"

namespace goim::router {

OnlineStore::OnlineStore(std::chrono::milliseconds stale, NowFn now)
    : stale_(stale), now_(std::move(now)) {}

int64_t OnlineStore::Now() const {
  if (now_) return now_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void OnlineStore::Put(ServerReport r) {
  r.updated_ms = Now();
  std::lock_guard<std::mutex> lock(mu_);
  std::string server = r.server;
  reports_[server] = std::move(r);
}

std::vector<ServerReport> OnlineStore::Fresh() {
  int64_t now = Now();
  std::vector<ServerReport> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = reports_.begin(); it != reports_.end();) {
    if (now - it->second.updated_ms > stale_.count()) {
      it = reports_.erase(it);
      continue;
    }
    out.push_back(it->second);
    ++it;
  }
  return out;
}

void OnlineStore::Del(const std::string& server) {
  std::lock_guard<std::mutex> lock(mu_);
  reports_.erase(server);
}

}  // namespace goim::router
