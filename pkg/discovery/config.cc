// discovery::Config::Validate and NewEpoch (in goim_discovery: the endpoint check is etcd's).
#include <random>

#include "pkg/discovery/discovery.h"
#include "pkg/discovery/etcd_client.h"

namespace goim::discovery {

namespace {

std::string ValidateBilibili(const Config::Bilibili& b, const std::string& key) {
  for (const auto& node : b.nodes) {
    size_t colon = node.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == node.size() ||
        node.find('/') != std::string::npos)
      return key + ".nodes: '" + node + "' is not host:port";
  }
  // The server evicts an instance it has not heard from for 90 s.
  if (b.renewInterval <= conf::Duration::zero() || b.renewInterval > std::chrono::seconds(30))
    return key + ".renewInterval: must be in (0, 30s]";
  if (b.timeout <= conf::Duration::zero()) return key + ".timeout: must be > 0";
  if (b.pollTimeout <= b.timeout) return key + ".pollTimeout: must be > timeout";
  if (b.retry <= conf::Duration::zero()) return key + ".retry: must be > 0";
  if (b.evictAfter < b.renewInterval) return key + ".evictAfter: must be >= renewInterval";
  if (b.rejoinGrace < conf::Duration::zero()) return key + ".rejoinGrace: must be >= 0";
  return "";
}

}  // namespace

std::string Config::Validate(const std::string& key) const {
  if (!enabled()) return "";
  if (!etcd.endpoints.empty() && !bilibili.nodes.empty())
    return key + ": etcd.endpoints and bilibili.nodes are both set; choose one";
  if (!bilibili.nodes.empty()) return ValidateBilibili(bilibili, key + ".bilibili");
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
