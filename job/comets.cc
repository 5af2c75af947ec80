// Job's comet set from a live membership: the fan-out follows goim.comet. A comet that leaves is
// dropped at once (no retries pile up for a dead node): its queued calls end as "comet gone"
// (goim_job_comet_calls_total{result="comet_gone"}), PUSH messages still naming it count as
// goim_job_unknown_server_total, and its client goes at once: the completions of its calls still
// in flight find it gone (CometClient's alive flag) and the job's InFlight waits for them at stop.
#include <map>

#include <glog/logging.h>

#include "job/job.h"

namespace goim::job {

void Job::SetComets(std::vector<discovery::Instance> comets) {
  asio::post(io_, [this, comets = std::move(comets)] { ApplyComets(comets); });
}

void Job::ApplyComets(const std::vector<discovery::Instance>& comets) {
  std::map<std::string, const discovery::Instance*> next;
  for (const auto& in : comets) {
    if (in.grpc.empty()) {
      LOG_EVERY_T(WARNING, 10) << "job: comet without a gRPC address ignored comet=" << in.hostname;
      continue;
    }
    next[in.hostname] = &in;
  }
  std::vector<std::unique_ptr<CometClient>> keep;
  for (auto& c : comets_) {
    auto it = next.find(c->name());
    if (it != next.end() && it->second->grpc == c->addr()) {
      keep.push_back(std::move(c));
      next.erase(it);
      continue;
    }
    LOG(WARNING) << "job: comet left the membership comet=" << c->name() << " addr=" << c->addr()
                 << " queued=" << c->queued();
    by_name_.erase(c->name());
    hosted_.erase(c->name());
    c->Abandon();
  }
  comets_ = std::move(keep);
  for (const auto& [name, in] : next) {
    LOG(INFO) << "job: comet joined comet=" << name << " addr=" << in->grpc;
    comets_.push_back(std::make_unique<CometClient>(*in, io_, timer_, comet_calls_, cfg_));
    by_name_[name] = comets_.back().get();
  }
  RetryWaiting();  // broadcasts parked for want of a comet
}

}  // namespace goim::job
