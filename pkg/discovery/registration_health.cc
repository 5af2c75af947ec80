#include "pkg/discovery/registration_health.h"

#include <glog/logging.h>

#include "pkg/metrics/metrics.h"

namespace goim::discovery {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* lost = r.NewCounter(
      "goim_discovery_lease_lost_total",
      "Times this node's registration lapsed (not renewed for a whole TTL, or expired)");
  metrics::Gauge* unhealthy =
      r.NewGauge("goim_discovery_unhealthy_registrations",
                 "Registrations of this process that are currently not live in the membership");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

}  // namespace

RegistrationHealth::RegistrationHealth(std::string who, Backend::HealthFn fn)
    : who_(std::move(who)), fn_(std::move(fn)) {
  Counters::Get();
}

void RegistrationHealth::Started() {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = true;
  healthy_ = true;
}

void RegistrationHealth::Set(bool h, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == h) return;
  state_ = h;
  if (lapsed_ != !h) {
    lapsed_ = !h;
    Counters::Get().unhealthy->Add(h ? -1 : 1);
  }
  if (h) {
    LOG(WARNING) << "discovery: registration live again " << who_ << " (" << why << ")";
  } else {
    Counters::Get().lost->Inc();
    LOG(ERROR) << "discovery: registration lapsed, the cluster no longer sees this node " << who_
               << " error(" << why << ")";
  }
  if (fn_) fn_(h);
  healthy_ = h;  // last
}

void RegistrationHealth::Closed() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!lapsed_) return;
  lapsed_ = false;
  Counters::Get().unhealthy->Sub(1);
}

}  // namespace goim::discovery
