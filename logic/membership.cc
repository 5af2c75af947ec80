#include "logic/membership.h"

#include <set>

#include <glog/logging.h>

#include "pkg/discovery/advertise.h"

namespace goim::logic {

Membership::Membership(const Config& cfg, LogicCore& core) : cfg_(cfg), core_(core) {
  cfg_.env.Resolve();
}

Membership::~Membership() { Stop(); }

void Membership::Follow() {
  if (!cfg_.discovery.enabled()) return;
  backend_ = discovery::NewBackend(cfg_.discovery, cfg_.env);
  routers_ = backend_->WatchApp(discovery::kRouter, [this](const auto& l) { OnRouters(l); });
  comets_ = backend_->WatchApp(discovery::kComet, [this](const auto& comets) {
    std::string names;
    for (const auto& c : comets) names += (names.empty() ? "" : ",") + c.hostname;
    VLOG(1) << "logic: comets " << names;
    core_.SetComets(comets);
  });
}

void Membership::Register(int grpc_port) {
  if (!backend_) return;
  discovery::Instance self = discovery::Self(
      cfg_.env, discovery::kLogic, discovery::AdvertiseAddr(cfg_.rpcServer.addr, grpc_port));
  self_ = backend_->Register(self);
  LOG(INFO) << "logic: registered in " << backend_->name() << " name=" << self.hostname
            << " grpc=" << self.grpc;
}

void Membership::OnRouters(const std::vector<discovery::Instance>& routers) {
  std::map<std::string, std::string> nodes, epochs;
  std::set<std::string> renew;  // restarted: a fresh connection, not one in reconnect backoff
  for (const auto& r : routers) {
    if (r.grpc.empty()) {
      LOG_EVERY_T(WARNING, 10) << "logic: router without a gRPC address ignored name="
                               << r.hostname;
      continue;
    }
    nodes[r.hostname] = r.grpc;
    epochs[r.hostname] = r.epoch;
    auto it = router_epochs_.find(r.hostname);
    if (it != router_epochs_.end() && it->second != r.epoch) renew.insert(r.hostname);
  }
  router_epochs_ = std::move(epochs);
  if (nodes != core_.router().Nodes() || !renew.empty()) {
    std::string names;
    for (const auto& [name, addr] : nodes) names += (names.empty() ? "" : ",") + name + "=" + addr;
    LOG(INFO) << "logic: router ring rebuilt nodes=" << (names.empty() ? "(none)" : names)
              << " restarted=" << renew.size();
    core_.router().SetNodes(nodes, renew);
  }
}

void Membership::Stop() {
  if (self_) self_->Close();
  self_.reset();
  comets_.reset();
  routers_.reset();
  backend_.reset();
}

}  // namespace goim::logic
