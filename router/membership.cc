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
  backend_ = discovery::NewBackend(cfg_.discovery, cfg_.env);
  SyncState& sync = server_.sync();
  auto names = [](const std::vector<discovery::Instance>& l) {
    std::vector<std::string> out;
    for (const auto& in : l) out.push_back(in.hostname);
    return out;
  };
  // One ordered stream for both: a round begun by a router leaving must see every comet that
  // registered before it left (two streams may lag each other, and a comet missing from the
  // round would never replay the keys that moved here). Comets first for changes seen together.
  members_ = backend_->WatchApps({discovery::kComet, discovery::kRouter},
                                 [&sync, names](const std::string& app, const auto& l) {
                                   if (app == discovery::kComet)
                                     sync.SetComets(names(l));
                                   else
                                     sync.SetRouters(names(l));
                                 });
  discovery::Instance self = discovery::Self(
      cfg_.env, discovery::kRouter, discovery::AdvertiseAddr(cfg_.rpcServer.addr, server_.port()));
  self.epoch = server_.epoch();
  self_ = backend_->Register(self, [&sync](bool healthy) {
    if (healthy) sync.BeginAll("registration lapsed and came back");
  });
  LOG(INFO) << "router: registered in " << backend_->name() << " name=" << self.hostname
            << " grpc=" << self.grpc << " epoch=" << self.epoch;
}

void Membership::Stop() {
  if (self_) self_->Close();
  self_.reset();
  members_.reset();
  backend_.reset();
}

}  // namespace goim::router
