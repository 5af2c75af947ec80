#include "router/sync_state.h"

#include <algorithm>

#include <glog/logging.h>

#include "pkg/metrics/metrics.h"

namespace goim::router {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* rounds = r.NewCounter(
      "goim_router_sync_rounds_total",
      "Times the session table became incomplete (start, lapse, a router left) and waited for "
      "the comets to replay it");
  metrics::Counter* timeouts =
      r.NewCounter("goim_router_sync_timeouts_total",
                   "Rounds declared complete at sync.timeout with comets that never replayed");
  metrics::Counter* done =
      r.NewCounter("goim_router_sync_done_total", "Comets that finished replaying a round");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ",") + x;
  return out.empty() ? "(none)" : out;
}

}  // namespace

SyncState::SyncState(bool live, std::string self, std::string epoch, Clock::duration timeout,
                     NowFn now)
    : live_(live),
      self_(std::move(self)),
      epoch_(std::move(epoch)),
      timeout_(timeout),
      now_(std::move(now)),
      syncing_(live),
      syncing_flag_(live) {
  Counters::Get();
  started_ = now_ ? now_() : Clock::now();
  if (live_) Counters::Get().rounds->Inc();
}

void SyncState::Begin(std::optional<hash::Ketama> before, const std::string& why) {
  ++round_;
  syncing_ = true;
  syncing_flag_ = true;
  started_ = now_ ? now_() : Clock::now();
  before_ = std::move(before);
  done_.clear();
  comets_known_at_begin_ = comets_.has_value();
  waiting_ = comets_.value_or(std::set<std::string>{});
  Counters::Get().rounds->Inc();
  LOG(WARNING) << "router: session table incomplete round=" << round_ << " (" << why
               << "), waiting for the comets to replay: " << Join(waiting_)
               << (before_ ? " (keys that moved here only)" : "");
}

void SyncState::Check() {
  if (!syncing_) return;
  auto now = now_ ? now_() : Clock::now();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count();
  if (comets_known_at_begin_ && waiting_.empty()) {
    LOG(INFO) << "router: session table complete round=" << round_ << " after " << took << "ms";
  } else if (now - started_ >= timeout_) {
    Counters::Get().timeouts->Inc();
    LOG(ERROR) << "router: session table declared complete at sync.timeout round=" << round_
               << " after " << took << "ms; comets that did not replay: "
               << (comets_known_at_begin_ ? Join(waiting_) : "(the comet list never came)");
  } else {
    return;
  }
  syncing_ = false;
  syncing_flag_ = false;
  before_.reset();
}

void SyncState::SetRouters(const std::vector<std::string>& names) {
  std::vector<std::string> next = names;
  std::sort(next.begin(), next.end());
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> left;
  std::set_difference(routers_.begin(), routers_.end(), next.begin(), next.end(),
                      std::back_inserter(left));
  if (live_ && !left.empty()) {
    // Keys of the routers that left now belong to the survivors. Only keys this node did not own
    // before are incomplete, unless a round is under way (then everything is, to be safe: a
    // join and a leave within one round can hand back keys whose entries here are stale).
    std::string why = "router " + left.front() + (left.size() > 1 ? " and others" : "") + " left";
    Begin(syncing_ ? std::nullopt : std::optional<hash::Ketama>(hash::Ketama(routers_)), why);
  }
  routers_ = std::move(next);
  ring_ = hash::Ketama(routers_);
}

void SyncState::SetComets(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  comets_ = std::set<std::string>(names.begin(), names.end());
  if (!comets_known_at_begin_) {
    comets_known_at_begin_ = true;
    for (const auto& c : *comets_) {
      if (!done_.count(c)) waiting_.insert(c);
    }
  } else {
    // A comet that left has no sessions to replay.
    std::erase_if(waiting_, [this](const std::string& c) { return !comets_->count(c); });
  }
  Check();
}

void SyncState::BeginAll(const std::string& why) {
  if (!live_) return;
  std::lock_guard<std::mutex> lock(mu_);
  Begin(std::nullopt, why);
}

SyncState::View SyncState::Get(const std::string& comet) {
  std::lock_guard<std::mutex> lock(mu_);
  Check();
  View v;
  v.epoch = epoch_;
  v.round = round_;
  v.syncing = syncing_;
  v.need = syncing_ && !done_.count(comet);
  v.ring = routers_;
  return v;
}

bool SyncState::Done(const std::string& comet, const std::string& epoch, int64_t round) {
  std::lock_guard<std::mutex> lock(mu_);
  if (epoch == epoch_ && round == round_ && syncing_ && done_.insert(comet).second) {
    waiting_.erase(comet);
    Counters::Get().done->Inc();
    VLOG(1) << "router: comet replayed its sessions comet=" << comet << " round=" << round;
  }
  Check();
  return syncing_;
}

bool SyncState::syncing() {
  if (!syncing_flag_.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  Check();
  return syncing_;
}

bool SyncState::Pending(const std::string& key) {
  if (!live_) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (!ring_.empty() && ring_.Get(key) != self_) return true;  // we disagree on the ring
  if (!syncing_) return false;
  Check();
  if (!syncing_) return false;
  return !before_ || before_->empty() || before_->Get(key) != self_;
}

}  // namespace goim::router
