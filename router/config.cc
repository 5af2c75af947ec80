#include "router/config.h"

namespace goim::router {

std::string Config::Validate() const {
  if (std::string err = discovery.Validate(); !err.empty()) return err;
  if (rpcServer.addr.empty()) return "rpcServer.addr: must be set";
  if (session.expire <= conf::Duration::zero()) return "session.expire: must be > 0";
  if (session.shards <= 0 || session.shards > 4096) return "session.shards: must be in 1..4096";
  if (session.cleanPeriod <= conf::Duration::zero()) return "session.cleanPeriod: must be > 0";
  if (online.stale < std::chrono::seconds(1)) return "online.stale: must be >= 1s";
  if (sync.timeout <= conf::Duration::zero()) return "sync.timeout: must be > 0";
  return "";
}

}  // namespace goim::router
