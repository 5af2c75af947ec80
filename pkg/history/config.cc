#include "pkg/history/config.h"

#include <charconv>

#include "pkg/history/store.h"

namespace goim::history {

bool SplitAddr(const std::string& addr, std::string* host, int* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == addr.size()) return false;
  int p = 0;
  const char* first = addr.data() + colon + 1;
  const char* last = addr.data() + addr.size();
  auto [end, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || end != last || p <= 0 || p > 65535) return false;
  *host = addr.substr(0, colon);
  *port = p;
  return true;
}

std::string Config::Validate(const std::string& prefix) const {
  auto bad = [&prefix](const char* key, const char* why) { return prefix + key + ": " + why; };
  if (store != "memory" && store != "redis") return bad("store", "must be memory or redis");
  if (perRoom < 1 || perRoom > 100000) return bad("perRoom", "must be in 1..100000");
  if (ttl < std::chrono::seconds(1)) return bad("ttl", "must be >= 1s");
  if (maxRequest < 1 || maxRequest > 100000) return bad("maxRequest", "must be in 1..100000");
  if (maxRewind < 0) return bad("maxRewind", "must be >= 0");
  // A new epoch must hold the largest batch.
  if (maxOffset < static_cast<int64_t>(kMaxBatch) || maxOffset > INT32_MAX)
    return bad("maxOffset", "must be in 256..2147483647");
  if (memory.maxBytes < (1 << 20)) return bad("memory.maxBytes", "must be >= 1048576");
  std::string host;
  int port = 0;
  if (!SplitAddr(redis.addr, &host, &port)) return bad("redis.addr", "must be host:port");
  if (redis.db < 0) return bad("redis.db", "must be >= 0");
  // A brace would change the Redis Cluster hash tag that keeps a room's keys in one slot.
  if (redis.keyPrefix.find_first_of("{}") != std::string::npos)
    return bad("redis.keyPrefix", "must not contain { or }");
  if (redis.pool < 1 || redis.pool > 256) return bad("redis.pool", "must be in 1..256");
  if (redis.connectTimeout <= conf::Duration::zero())
    return bad("redis.connectTimeout", "must be > 0");
  if (redis.timeout <= conf::Duration::zero()) return bad("redis.timeout", "must be > 0");
  if (redis.retryInterval < conf::Duration::zero())
    return bad("redis.retryInterval", "must be >= 0");
  return "";
}

}  // namespace goim::history
