// LogicCore's comet membership: the configured list, or the live one from discovery. A comet
// that leaves the membership (its lease lapsed: dead, or cut off) leaves every answer at once:
// its sessions on every router (DelServer), its online counts, /goim/nodes/weighted and
// /goim/nodes/instances; a comet that joins is reachable for takeover kicks (Kicker).
// Connection counts: ours send them in RenewOnline; goim's comets (in a mixed deployment on
// bilibili discovery) send RenewOnline without them and publish them in their discovery metadata
// every 10 s, where goim's logic reads them. A member record without our epoch is goim's: its
// counts come from its metadata (its room counts still come from its reports).
#include <set>

#include <glog/logging.h>

#include "logic/logic.h"
#include "pkg/metrics/metrics.h"

namespace goim::logic {

namespace {
bool CountsInMetadata(const discovery::Instance& in) { return in.epoch.empty(); }
}  // namespace

const discovery::Instance* LogicCore::MetadataCounted(const std::string& server) const {
  if (!comets_live_) return nullptr;  // static lists carry no counts
  for (const auto& in : comets_) {
    if (in.hostname == server) return CountsInMetadata(in) ? &in : nullptr;
  }
  return nullptr;
}

std::map<std::string, int64_t> LogicCore::ConnCounts() const {
  std::map<std::string, int64_t> conns;
  for (const auto& [server, s] : servers_) conns[server] = s.conn_count();
  if (comets_live_) {
    for (const auto& in : comets_) {
      if (CountsInMetadata(in)) conns[in.hostname] = in.conn_count;
    }
  }
  return conns;
}

std::pair<int64_t, int64_t> LogicCore::OnlineTotal() const {
  int64_t ips = 0, conns = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [server, s] : servers_) {
    if (MetadataCounted(server)) continue;
    ips += s.ip_count();
    conns += s.conn_count();
  }
  if (comets_live_) {
    for (const auto& in : comets_) {
      if (!CountsInMetadata(in)) continue;
      ips += in.ip_count;
      conns += in.conn_count;
    }
  }
  return {ips, conns};
}

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
  kicker_.SetComets(comets);  // takeover kicks reach the comets of the membership
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
    conns = ConnCounts();
  }
  balancer_.Update(Comets(), conns);
  for (const auto& server : gone) {
    left->Inc();
    LOG(WARNING) << "logic: comet left the membership, deleting its sessions server=" << server;
    DelServer(server, nullptr);
  }
}

std::map<std::string, std::vector<std::string>> LogicCore::ByLiveComet(
    const std::vector<goim::router::Session>& sessions, const char* what) {
  static metrics::Counter* dead = metrics::Registry::Default().NewCounter(
      "goim_logic_push_dead_comet_total",
      "Pushed sessions not produced: their comet had left the membership (etcd)");
  std::map<std::string, std::vector<std::string>> by_server;
  size_t gone = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : sessions) {
      // On a comet that left the membership (dead; DelServer is on its way): nothing would
      // deliver it, so it is counted here rather than produced.
      if (!Member(s.server())) {
        ++gone;
        continue;
      }
      by_server[s.server()].push_back(s.key());
    }
  }
  if (gone) {
    dead->Inc(gone);
    VLOG(1) << "logic: push " << what << " to comets that left count=" << gone;
  }
  return by_server;
}

std::vector<std::pair<discovery::Instance, goim::router::ServerOnline>> LogicCore::Instances()
    const {
  std::vector<std::pair<discovery::Instance, goim::router::ServerOnline>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& in : comets_) {
    auto it = servers_.find(in.hostname);
    if (it != servers_.end()) {
      out.emplace_back(in, it->second);
      if (comets_live_ && CountsInMetadata(in)) {
        out.back().second.set_conn_count(static_cast<int32_t>(in.conn_count));
        out.back().second.set_ip_count(static_cast<int32_t>(in.ip_count));
      }
      continue;
    }
    // No report yet: what the comet published in the membership (goim's source for these).
    goim::router::ServerOnline meta;
    meta.set_server(in.hostname);
    meta.set_conn_count(static_cast<int32_t>(in.conn_count));
    meta.set_ip_count(static_cast<int32_t>(in.ip_count));
    meta.set_updated_ms(in.updated_ns / 1000000);
    out.emplace_back(in, std::move(meta));
  }
  return out;
}

}  // namespace goim::logic
