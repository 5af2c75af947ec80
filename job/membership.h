// job::Membership: a job in a live membership (discovery.etcd): registers goim.job and follows
// goim.comet (the comets of its zone, as goim's job keeps) into Job::SetComets. Without etcd it
// does nothing: the comets come from the config.
#pragma once

#include <memory>

#include "job/config.h"
#include "job/job.h"
#include "pkg/discovery/membership.h"

namespace goim::job {

// [Start and Stop on the owner's thread; the watch callbacks run on the backend's threads]
class Membership {
 public:
  Membership(const Config& cfg, Job& job);
  ~Membership();

  // Throws std::runtime_error when etcd cannot be reached.
  void Start();
  void Stop();

 private:
  Config cfg_;
  Job& job_;
  std::unique_ptr<discovery::Backend> backend_;
  std::unique_ptr<discovery::Watch> comets_;
  std::unique_ptr<discovery::Registration> self_;
};

}  // namespace goim::job
