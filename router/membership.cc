#include "router/membership.h"

#include <glog/logging.h>

#include "pkg/discovery/advertise.h"

namespace goim::router {

Membership::Membership(const Config& cfg, RouterServer& server) : cfg_(cfg), server_(server) {
  cfg_.env.Resolve();
}

Membership::~Membership() { Stop(); }

void Membership::Start() {
  if (!cfg_.discovery.enabled()) return;
  backend_ = discovery::NewBackend(cfg_.discovery);
  discovery::Instance self = discovery::Self(
      cfg_.env, discovery::kRouter, discovery::AdvertiseAddr(cfg_.rpcServer.addr, server_.port()));
  self.epoch = server_.epoch();
  self_ = backend_->Register(self);
  LOG(INFO) << "router: registered in etcd name=" << self.hostname << " grpc=" << self.grpc
            << " epoch=" << self.epoch;
}

void Membership::Stop() {
  if (self_) self_->Close();
  self_.reset();
  backend_.reset();
}

}  // namespace goim::router
