#include "logic/kicker.h"

#include <glog/logging.h>
#include <grpcpp/create_channel.h>

#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/grpc_call.h"

namespace goim::logic {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* takeovers = r.NewCounter(
      "goim_logic_key_takeover_total",
      "Connects that moved a key from another comet; its older connection is closed there");
  metrics::Counter* failed = r.NewCounter(
      "goim_logic_kick_failed_total",
      "Older connections of a moved key that could not be closed (comet unknown to logic, "
      "unreachable, or a goim comet)");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

using Async = class goim::comet::Comet::Stub::async;  // the callback-API half of the stub

}  // namespace

Kicker::Kicker(const std::vector<discovery::Instance>& comets, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  Counters::Get();
  SetComets(comets);
}

std::shared_ptr<Kicker::Stub> Kicker::Dial(const std::string& addr) {
  return goim::comet::Comet::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
}

void Kicker::SetComets(const std::vector<discovery::Instance>& comets) {
  std::map<std::string, Comet> next;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : comets) {
    if (c.grpc.empty()) continue;
    auto it = comets_.find(c.hostname);
    if (it != comets_.end() && it->second.addr == c.grpc) {
      next[c.hostname] = it->second;  // same comet: keep its channel
      continue;
    }
    next[c.hostname] = Comet{c.grpc, Dial(c.grpc)};
  }
  comets_ = std::move(next);
}

Kicker::~Kicker() { calls_.WaitIdle(); }

void Kicker::Kick(const std::string& key, const std::string& from, const std::string& to) {
  Counters::Get().takeovers->Inc();
  LOG_EVERY_T(INFO, 1) << "logic: key taken over, closing its older connection key="
                       << log::Printable(key) << " from=" << from << " to=" << to;
  std::shared_ptr<Stub> stub;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = comets_.find(from);
    if (it != comets_.end()) stub = it->second.stub;
  }
  if (!stub) {
    Counters::Get().failed->Inc();
    LOG_EVERY_T(WARNING, 1) << "logic: kick failed key=" << log::Printable(key)
                            << " server=" << from << " error(not in comets)";
    return;
  }
  goim::comet::KickReq req;
  req.add_keys(key);
  // A comet that is down has lost the connection anyway: fail at once rather than wait for it.
  net::UnaryCall(stub->async(), &Async::Kick, std::move(req), {timeout_, false, &calls_},
                 [key, from](const grpc::Status& st, goim::comet::KickReply&) {
                   if (st.ok()) return;
                   Counters::Get().failed->Inc();
                   LOG_EVERY_T(WARNING, 1)
                       << "logic: kick failed key=" << log::Printable(key) << " server=" << from
                       << " error(" << st.error_message() << ")";
                 });
}

}  // namespace goim::logic
