// discovery::Config::Validate and NewEpoch (in goim_discovery: the endpoint check is etcd's).
#include <random>

#include "pkg/discovery/discovery.h"
#include "pkg/discovery/etcd_client.h"

namespace goim::discovery {

std::string Config::Validate(const std::string& key) const {
  if (!enabled()) return "";
  std::string error;
  if (EtcdTarget(etcd.endpoints, &error).empty()) return key + ".etcd.endpoints: " + error;
  if (etcd.prefix.empty() || etcd.prefix[0] != '/' || etcd.prefix.back() == '/')
    return key + ".etcd.prefix: must start with '/' and not end with one";
  // etcd's shortest lease is about 2 s; renewals go every ttl/3.
  if (etcd.ttl < std::chrono::seconds(2)) return key + ".etcd.ttl: must be >= 2s";
  if (etcd.dialTimeout <= conf::Duration::zero()) return key + ".etcd.dialTimeout: must be > 0";
  return "";
}

std::string NewEpoch() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  uint64_t v = rng();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kHex[v & 0xf];
  return out;
}

}  // namespace goim::discovery
