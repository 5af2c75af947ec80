#include "comet/membership.h"

#include <glog/logging.h>

#include "pkg/discovery/advertise.h"

namespace goim::comet {

Membership::Membership(Server& server) : server_(server), ctx_(server.ctx()) {}

Membership::~Membership() { Stop(); }

void Membership::Start() {
  const Config& c = ctx_.cfg;
  if (!c.discovery.enabled()) return;
  backend_ = discovery::NewBackend(c.discovery, c.env);
  self_ = discovery::Self(c.env, discovery::kComet,
                          discovery::AdvertiseAddr(c.rpcServer.addr, server_.grpc_port()));
  self_.hostname = ctx_.server_id;
  replay_ = std::make_unique<SessionReplay>(
      ctx_, std::chrono::duration_cast<std::chrono::milliseconds>(c.rpcClient.timeout));
  Context* ctx = &ctx_;
  SessionReplay* replay = replay_.get();
  reg_ = backend_->Register(self_, [ctx, replay](bool healthy) {
    ctx->admitting = healthy;
    // While out, logic deleted this comet's sessions (it looked dead): write them back.
    if (healthy) replay->RewriteAll();
  });
  LOG(INFO) << "comet: registered in " << backend_->name() << " name=" << self_.hostname
            << " grpc=" << self_.grpc;
  routers_ = backend_->WatchApp(discovery::kRouter,
                                [this](const auto& routers) { replay_->SetRouters(routers); });
  replay_->Start();
  refresher_ = std::thread([this] { RefreshLoop(); });
}

void Membership::RefreshLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, ctx_.cfg.online.interval, [this] { return stop_; })) {
    int64_t conns = static_cast<int64_t>(ctx_.buckets.ChannelCount());
    int64_t ips = static_cast<int64_t>(ctx_.buckets.IpCount());
    if (conns == self_.conn_count && ips == self_.ip_count) continue;  // no write for nothing
    self_.conn_count = conns;
    self_.ip_count = ips;
    reg_->Update(self_);
  }
}

void Membership::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  routers_.reset();
  if (replay_) replay_->Stop();
  if (reg_) reg_->Close();
  reg_.reset();
  backend_.reset();
}

}  // namespace goim::comet
