// router::OnlineStore: each comet's latest online report (room -> count, connections, distinct
// IPs) with the time it arrived. Reports older than `stale` (goim: 5 min) are dropped when read.
// [thread-safe]
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace goim::router {

struct ServerReport {
  std::string server;
  std::map<std::string, int32_t> room_count;
  int32_t conn_count = 0;
  int32_t ip_count = 0;
  int64_t updated_ms = 0;  // unix milliseconds
};

class OnlineStore {
 public:
  using NowFn = std::function<int64_t()>;  // unix milliseconds
  explicit OnlineStore(std::chrono::milliseconds stale, NowFn now = nullptr);

  void Put(ServerReport r);  // sets r.updated_ms to now
  // Fresh reports; stale ones are removed.
  std::vector<ServerReport> Fresh();
  void Del(const std::string& server);

 private:
  int64_t Now() const;
  std::chrono::milliseconds stale_;
  NowFn now_;
  std::mutex mu_;
  std::map<std::string, ServerReport> reports_;
};

}  // namespace goim::router
