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

void RegistrationHealth::Set(bool h, const std::string& why) {
  if (healthy_.exchange(h) == h) return;
  if (lapsed_.exchange(!h) != !h) Counters::Get().unhealthy->Add(h ? -1 : 1);
  if (h) {
    LOG(WARNING) << "discovery: registration live again " << who_ << " (" << why << ")";
  } else {
    Counters::Get().lost->Inc();
    LOG(ERROR) << "discovery: registration lapsed, the cluster no longer sees this node " << who_
               << " error(" << why << ")";
  }
  if (fn_) fn_(h);
}

void RegistrationHealth::Closed() {
  if (lapsed_.exchange(false)) Counters::Get().unhealthy->Sub(1);
}

}  // namespace goim::discovery
