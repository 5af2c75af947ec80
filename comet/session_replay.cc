#include "comet/session_replay.h"

#include <glog/logging.h>
#include <grpcpp/create_channel.h>

#include "pkg/hash/ketama.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/grpc_status.h"

namespace goim::comet {

namespace {

constexpr std::chrono::seconds kPoll{1};
constexpr std::chrono::seconds kSecondPass{2};
constexpr size_t kBatch = 500;

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* replays =
      r.NewCounter("goim_comet_session_replays_total{result=\"ok\"}",
                   "Session replays to a router rebuilding its table, by result");
  metrics::Counter* failed =
      r.NewCounter("goim_comet_session_replays_total{result=\"failed\"}",
                   "Session replays to a router rebuilding its table, by result");
  metrics::Counter* entries =
      r.NewCounter("goim_comet_session_replay_entries_total",
                   "Session entries (by key and by mid) written to routers by replays");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

int64_t SteadyNanos(std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now()) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

SessionReplay::SessionReplay(Context& ctx, std::chrono::milliseconds timeout)
    : ctx_(ctx), timeout_(timeout) {
  Counters::Get();
}

SessionReplay::~SessionReplay() { Stop(); }

void SessionReplay::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SessionReplay::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SessionReplay::SetRouters(const std::vector<discovery::Instance>& routers) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::shared_ptr<Router>> next;
    for (const auto& in : routers) {
      if (in.grpc.empty()) continue;
      auto it = routers_.find(in.hostname);
      // A new process (epoch) gets a new connection: the old one may be waiting out a reconnect
      // backoff from while the router was down.
      if (it != routers_.end() && it->second->addr == in.grpc && it->second->epoch == in.epoch) {
        next[in.hostname] = it->second;
        continue;
      }
      auto r = std::make_shared<Router>();
      r->name = in.hostname;
      r->addr = in.grpc;
      r->epoch = in.epoch;
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
      r->stub = goim::router::Router::NewStub(
          grpc::CreateCustomChannel(in.grpc, grpc::InsecureChannelCredentials(), args));
      next[in.hostname] = std::move(r);
    }
    routers_ = std::move(next);
    changed_ = true;
  }
  cv_.notify_all();
}

void SessionReplay::RewriteAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, r] : routers_) r->again_at = SteadyNanos();
    changed_ = true;
  }
  cv_.notify_all();
}

void SessionReplay::Deadline(grpc::ClientContext* c) const {
  c->set_deadline(std::chrono::system_clock::now() + timeout_);
}

void SessionReplay::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  bool soon = false;
  while (!stop_) {
    cv_.wait_for(lock, soon ? std::chrono::milliseconds(100) : kPoll,
                 [this] { return stop_ || changed_; });
    if (stop_) break;
    changed_ = false;
    std::vector<std::shared_ptr<Router>> routers;
    std::vector<std::string> ring;
    for (const auto& [name, r] : routers_) {
      routers.push_back(r);
      ring.push_back(name);  // sorted: the map's order
    }
    lock.unlock();
    soon = false;
    for (auto& r : routers) soon |= !Check(*r, ring);
    lock.lock();
  }
}

bool SessionReplay::Check(Router& r, const std::vector<std::string>& ring) {
  goim::router::SyncStateReq req;
  req.set_server(ctx_.server_id);
  goim::router::SyncStateReply state;
  grpc::ClientContext c;
  Deadline(&c);
  if (grpc::Status st = r.stub->SyncState(&c, req, &state); !st.ok()) {
    LOG_EVERY_T(WARNING, 10) << "comet: router sync state failed router=" << r.name << " error("
                             << net::StatusText(st) << ")";
    return true;  // unreachable: the next poll asks again
  }
  auto now = std::chrono::steady_clock::now();
  int64_t again = r.again_at.load();
  bool second_pass = again != 0 && SteadyNanos(now) >= again;
  if (!state.need() && !second_pass) return true;
  std::vector<std::string> theirs(state.ring().begin(), state.ring().end());
  if (theirs != ring) return false;  // one of us has not seen the latest routers yet
  size_t written = 0;
  auto t0 = now;
  if (!Replay(r, ring, &written)) {
    Counters::Get().failed->Inc();
    return false;
  }
  if (!state.need()) {
    r.again_at.compare_exchange_strong(again, 0);  // unless RewriteAll asked again meanwhile
    VLOG(1) << "comet: sessions written again router=" << r.name << " entries=" << written;
    return true;
  }
  goim::router::SyncDoneReq done;
  done.set_server(ctx_.server_id);
  done.set_epoch(state.epoch());
  done.set_round(state.round());
  goim::router::SyncDoneReply done_reply;
  grpc::ClientContext dc;
  Deadline(&dc);
  if (grpc::Status st = r.stub->SyncDone(&dc, done, &done_reply); !st.ok()) {
    Counters::Get().failed->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: router sync done failed router=" << r.name << " error("
                            << net::StatusText(st) << ")";
    return false;
  }
  Counters::Get().replays->Inc();
  r.again_at = SteadyNanos(std::chrono::steady_clock::now() + kSecondPass);
  LOG(INFO) << "comet: sessions replayed router=" << r.name << " epoch=" << state.epoch()
            << " round=" << state.round() << " entries=" << written << " in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << "ms";
  return true;
}

bool SessionReplay::Replay(Router& r, const std::vector<std::string>& ring, size_t* written) {
  hash::Ketama ketama(ring);
  std::vector<goim::router::PutReq> batches(1);
  size_t in_batch = 0;
  auto add = [&](bool by_mid, const std::string& key, int64_t mid) {
    goim::router::Session* s = by_mid ? batches.back().add_by_mid() : batches.back().add_by_key();
    s->set_key(key);
    s->set_mid(mid);
    s->set_server(ctx_.server_id);
    if (++in_batch == kBatch) {
      batches.emplace_back();
      in_batch = 0;
    }
  };
  // Copied first: hashing under the buckets' locks would hold up connects and pushes.
  std::vector<std::pair<std::string, int64_t>> sessions;
  sessions.reserve(ctx_.buckets.ChannelCount());
  ctx_.buckets.ForEachSession(
      [&](const std::string& key, int64_t mid) { sessions.emplace_back(key, mid); });
  for (const auto& [key, mid] : sessions) {
    if (ketama.Get(key) == r.name) add(false, key, mid);
    if (mid != 0 && ketama.Get(std::to_string(mid)) == r.name) add(true, key, mid);
  }
  for (const auto& b : batches) {
    if (b.by_key_size() + b.by_mid_size() == 0) continue;
    goim::router::PutReply reply;
    grpc::ClientContext c;
    Deadline(&c);
    if (grpc::Status st = r.stub->Put(&c, b, &reply); !st.ok()) {
      LOG_EVERY_T(WARNING, 1) << "comet: session replay failed router=" << r.name << " error("
                              << net::StatusText(st) << ")";
      return false;
    }
    *written += static_cast<size_t>(b.by_key_size() + b.by_mid_size());
  }
  Counters::Get().entries->Inc(*written);
  return true;
}

}  // namespace goim::comet
