// discovery::RegistrationHealth: whether this node's registration is live in the membership, the
// part the etcd and bilibili registrations share. A change is logged, counted
// (goim_discovery_lease_lost_total, goim_discovery_unhealthy_registrations) and handed to the
// backend's HealthFn, all before healthy() shows it, so a reader that saw healthy() change sees
// the rest too. [thread-safe]
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "pkg/discovery/membership.h"

namespace goim::discovery {

class RegistrationHealth {
 public:
  // who names the registration in log lines, e.g. "key=/goim/nodes/goim.comet/c1".
  RegistrationHealth(std::string who, Backend::HealthFn fn);

  bool healthy() const { return healthy_.load(); }
  // The first registration went through: live, nothing counted or handed on.
  void Started();
  // why: what made it change, for the log line.
  void Set(bool healthy, const std::string& why);
  // The registration left the membership on purpose: no longer counted as unhealthy.
  void Closed();

 private:
  const std::string who_;
  Backend::HealthFn fn_;
  std::mutex mu_;        // one change at a time
  bool state_ = false;   // under mu_; healthy_ follows it once the change is done
  bool lapsed_ = false;  // under mu_: counted in goim_discovery_unhealthy_registrations
  std::atomic<bool> healthy_{false};
};

}  // namespace goim::discovery
