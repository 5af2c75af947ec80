#include "router/router_server.h"

#include <glog/logging.h>
#include <grpcpp/server_builder.h>

#include "api/router.grpc.pb.h"
#include "pkg/discovery/discovery.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/grpc_reply.h"
#include "pkg/net/grpc_server.h"

namespace goim::router {

namespace {

struct Counters {
  metrics::Registry& reg = metrics::Registry::Default();
  metrics::Counter* puts =
      reg.NewCounter("goim_router_put_total", "Session entries written or renewed");
  metrics::Counter* dels =
      reg.NewCounter("goim_router_del_total", "Session entries deleted on disconnect");
  metrics::Counter* lookups = reg.NewCounter("goim_router_lookup_total", "Keys and mids looked up");
  metrics::Counter* misses =
      reg.NewCounter("goim_router_lookup_miss_total", "Looked-up keys and mids with no session");
  metrics::Counter* expired =
      reg.NewCounter("goim_router_expired_total", "Session entries removed by expiry");
  metrics::Counter* del_server =
      reg.NewCounter("goim_router_del_server_total", "Session entries removed by DelServer");
  metrics::Counter* pending = reg.NewCounter(
      "goim_router_lookup_pending_total",
      "Keys and mids answered 'pending' while the table was being rebuilt (logic asks again)");
};

}  // namespace

class RouterServer::Service final : public goim::router::Router::CallbackService {
 public:
  Service(SessionStore& s, OnlineStore& o, router::SyncState& sync)
      : sessions_(s), online_(o), sync_(sync) {}

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const PutReq* req,
                                PutReply* reply) override {
    int32_t existed = 0;
    std::string moved_from;
    for (const auto& s : req->by_key()) {
      moved_from.clear();
      existed += sessions_.PutKey(s.key(), s.mid(), s.server(), &moved_from);
      if (moved_from.empty()) continue;
      Session* m = reply->add_moved();
      *m = s;
      m->set_server(moved_from);
    }
    for (const auto& s : req->by_mid()) existed += sessions_.PutMid(s.mid(), s.key(), s.server());
    c_.puts->Inc(static_cast<uint64_t>(req->by_key_size() + req->by_mid_size()));
    reply->set_existed(existed);
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* Del(grpc::CallbackServerContext* ctx, const DelReq* req,
                                DelReply* reply) override {
    int32_t deleted = 0;
    for (const auto& s : req->by_key()) deleted += sessions_.DelKey(s.key(), s.server());
    for (const auto& s : req->by_mid()) deleted += sessions_.DelMid(s.mid(), s.key(), s.server());
    c_.dels->Inc(static_cast<uint64_t>(deleted));
    reply->set_deleted(deleted);
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* GetKeys(grpc::CallbackServerContext* ctx, const GetKeysReq* req,
                                    GetKeysReply* reply) override {
    for (const auto& key : req->keys()) {
      if (sync_.Pending(key)) {
        reply->add_pending(key);
        c_.pending->Inc();
        continue;
      }
      if (auto s = sessions_.GetKey(key)) {
        Session* out = reply->add_sessions();
        out->set_key(key);
        out->set_mid(s->mid);
        out->set_server(s->server);
      } else {
        c_.misses->Inc();
      }
    }
    c_.lookups->Inc(static_cast<uint64_t>(req->keys_size()));
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* GetMids(grpc::CallbackServerContext* ctx, const GetMidsReq* req,
                                    GetMidsReply* reply) override {
    std::vector<std::pair<std::string, std::string>> found;
    for (int64_t mid : req->mids()) {
      if (sync_.Pending(std::to_string(mid))) {
        reply->add_pending(mid);
        c_.pending->Inc();
        continue;
      }
      found.clear();
      sessions_.GetMid(mid, &found);
      if (found.empty()) c_.misses->Inc();
      for (auto& [key, server] : found) {
        Session* out = reply->add_sessions();
        out->set_mid(mid);
        out->set_key(std::move(key));
        out->set_server(std::move(server));
      }
    }
    c_.lookups->Inc(static_cast<uint64_t>(req->mids_size()));
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* DelServer(grpc::CallbackServerContext* ctx, const DelServerReq* req,
                                      DelServerReply* reply) override {
    size_t n = sessions_.DelServer(req->server());
    online_.Del(req->server());
    c_.del_server->Inc(n);
    LOG(INFO) << "router: del server server=" << req->server() << " sessions=" << n;
    reply->set_deleted(static_cast<int32_t>(n));
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* PutOnline(grpc::CallbackServerContext* ctx, const PutOnlineReq* req,
                                      PutOnlineReply*) override {
    const ServerOnline& in = req->online();
    if (in.server().empty())
      return net::FinishNow(ctx, {grpc::StatusCode::INVALID_ARGUMENT, "online.server is empty"});
    ServerReport r;
    r.server = in.server();
    for (const auto& [room, n] : in.room_count()) r.room_count[room] = n;
    r.conn_count = in.conn_count();
    r.ip_count = in.ip_count();
    online_.Put(std::move(r));
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* Online(grpc::CallbackServerContext* ctx, const OnlineReq*,
                                   OnlineReply* reply) override {
    for (const ServerReport& r : online_.Fresh()) {
      ServerOnline* out = reply->add_servers();
      out->set_server(r.server);
      out->set_conn_count(r.conn_count);
      out->set_ip_count(r.ip_count);
      out->set_updated_ms(r.updated_ms);
      for (const auto& [room, n] : r.room_count) (*out->mutable_room_count())[room] = n;
    }
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx, const StatsReq*,
                                  StatsReply* reply) override {
    SessionStats st = sessions_.Stats();
    reply->set_keys(st.keys);
    reply->set_mids(st.mid_entries);
    reply->set_expired(st.expired);
    for (const auto& [server, n] : st.server_keys) (*reply->mutable_server_keys())[server] = n;
    router::SyncState::View v = sync_.Get("");
    reply->set_epoch(v.epoch);
    reply->set_round(v.round);
    reply->set_syncing(v.syncing);
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* SyncState(grpc::CallbackServerContext* ctx, const SyncStateReq* req,
                                      SyncStateReply* reply) override {
    router::SyncState::View v = sync_.Get(req->server());
    reply->set_epoch(v.epoch);
    reply->set_round(v.round);
    reply->set_syncing(v.syncing);
    reply->set_need(v.need);
    for (auto& name : v.ring) reply->add_ring(std::move(name));
    return net::FinishNow(ctx);
  }

  grpc::ServerUnaryReactor* SyncDone(grpc::CallbackServerContext* ctx, const SyncDoneReq* req,
                                     SyncDoneReply* reply) override {
    reply->set_syncing(sync_.Done(req->server(), req->epoch(), req->round()));
    return net::FinishNow(ctx);
  }

  Counters c_;

 private:
  SessionStore& sessions_;
  OnlineStore& online_;
  router::SyncState& sync_;
};

RouterServer::RouterServer(const Config& cfg, time::Clock& clock)
    : cfg_(cfg), epoch_(discovery::NewEpoch()) {
  SessionStore::Options so;
  so.shards = cfg.session.shards;
  so.ttl = std::chrono::duration_cast<Clock::duration>(cfg.session.expire);
  sessions_ = std::make_unique<SessionStore>(so);
  online_ = std::make_unique<OnlineStore>(
      std::chrono::duration_cast<std::chrono::milliseconds>(cfg.online.stale));
  Config resolved = cfg;
  resolved.env.Resolve();
  sync_ = std::make_unique<router::SyncState>(
      cfg.discovery.enabled(), resolved.env.host, epoch_,
      std::chrono::duration_cast<router::SyncState::Clock::duration>(cfg.sync.timeout),
      [&clock] { return clock.Now(); });
  service_ = std::make_unique<Service>(*sessions_, *online_, *sync_);
  SessionStore* store = sessions_.get();
  metrics::Registry::Default().NewCallbackGauge(
      "goim_router_keys", "Live sessions indexed by key",
      [store] { return static_cast<double>(store->Stats().keys); });
}

RouterServer::~RouterServer() { Stop(); }

void RouterServer::Start() {
  grpc::ServerBuilder b;
  net::AddGrpcListener(b, cfg_.rpcServer.addr, &port_);
  b.RegisterService(service_.get());
  server_ = b.BuildAndStart();
  if (!server_ || port_ == 0)
    throw std::runtime_error("router: cannot listen on " + cfg_.rpcServer.addr);
  cleaner_ = std::thread([this] { CleanLoop(); });
  LOG(INFO) << "router: serving goim.router.Router addr=" << cfg_.rpcServer.addr
            << " port=" << port_ << " epoch=" << epoch_;
}

void RouterServer::CleanLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, cfg_.session.cleanPeriod);
    if (stop_) break;
    lock.unlock();
    size_t n = sessions_->Clean();
    if (n > 0) {
      service_->c_.expired->Inc(n);
      VLOG(1) << "router: expired sessions count=" << n;
    }
    lock.lock();
  }
}

void RouterServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (cleaner_.joinable()) cleaner_.join();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
  }
}

}  // namespace goim::router
