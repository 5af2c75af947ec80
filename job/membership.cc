#include "job/membership.h"

#include <glog/logging.h>

namespace goim::job {

Membership::Membership(const Config& cfg, Job& job) : cfg_(cfg), job_(job) { cfg_.env.Resolve(); }

Membership::~Membership() { Stop(); }

void Membership::Start() {
  if (!cfg_.discovery.enabled()) return;
  backend_ = discovery::NewBackend(cfg_.discovery, cfg_.env);
  comets_ = backend_->WatchApp(discovery::kComet, [this](const auto& comets) {
    job_.SetComets(discovery::InZone(comets, cfg_.env.zone));
  });
  self_ = backend_->Register(discovery::Self(cfg_.env, discovery::kJob, ""));
  LOG(INFO) << "job: registered in " << backend_->name() << " name=" << cfg_.env.host;
}

void Membership::Stop() {
  if (self_) self_->Close();
  self_.reset();
  comets_.reset();
  backend_.reset();
}

}  // namespace goim::job
