// LogicCore's comet membership: the configured list, or the live one from discovery. A comet
// that leaves the membership (its lease lapsed: dead, or cut off) leaves every answer at once:
// its sessions on every router (DelServer), its online counts, /goim/nodes/weighted and
// /goim/nodes/instances.
#include <set>

#include <glog/logging.h>

#include "logic/logic.h"
#include "pkg/metrics/metrics.h"

namespace goim::logic {

bool LogicCore::Member(const std::string& server) const {
  if (!comets_live_) return true;  // static: every reporting comet counts, as before
  for (const auto& in : comets_) {
    if (in.hostname == server) return true;
  }
  return false;
}

void LogicCore::DropReport(const std::string& server) {
  auto it = servers_.find(server);
  if (it == servers_.end()) return;
  for (const auto& [room, n] : it->second.room_count()) {
    auto r = rooms_.find(room);
    if (r == rooms_.end()) continue;
    r->second -= n;
    if (r->second <= 0) rooms_.erase(r);
  }
  servers_.erase(it);
}

std::vector<discovery::Instance> LogicCore::Comets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return comets_;
}

void LogicCore::SetComets(std::vector<discovery::Instance> comets) {
  static metrics::Counter* left = metrics::Registry::Default().NewCounter(
      "goim_logic_comets_left_total",
      "Comets that left the membership (their sessions and counts were dropped)");
  std::vector<std::string> gone;
  std::map<std::string, int64_t> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> now;
    for (const auto& in : comets) now.insert(in.hostname);
    for (const auto& in : comets_) {
      if (!now.count(in.hostname)) gone.push_back(in.hostname);
    }
    // Reports of comets that are not members were never applied (or are dropped here).
    std::vector<std::string> stale;
    for (const auto& [server, s] : servers_) {
      if (!now.count(server)) stale.push_back(server);
    }
    for (const auto& server : stale) DropReport(server);
    comets_ = std::move(comets);
    comets_live_ = true;
    for (const auto& [server, s] : servers_) conns[server] = s.conn_count();
  }
  balancer_.Update(Comets(), conns);
  for (const auto& server : gone) {
    left->Inc();
    LOG(WARNING) << "logic: comet left the membership, deleting its sessions server=" << server;
    DelServer(server, nullptr);
  }
}

}  // namespace goim::logic
