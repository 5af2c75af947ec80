// comet::Buckets: the comet-wide key index (goim's buckets): key -> channel id (and the
// connection's mid), split into `size` buckets by hash(key), each behind its own short lock. It
// holds ids (loop, slot, generation), never pointers: a push resolves the id on the channel's own
// loop. Also counts connections per client IP for ip_count, and lists the live sessions for a
// router that rebuilds its table (comet/session_replay.cc). [thread-safe]
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace goim::comet {

class Buckets {
 public:
  Buckets(int size, int reserve);

  // Maps key to id (a connection of member mid); returns the id it replaced (0: none), which the
  // caller kicks.
  uint64_t Put(const std::string& key, uint64_t id, int64_t mid = 0);
  // Unmaps key only while it still maps to id (a kicked channel must not unmap its successor);
  // returns whether it did.
  bool Del(const std::string& key, uint64_t id);
  uint64_t Get(const std::string& key) const;

  void AddIp(const std::string& ip);
  void DelIp(const std::string& ip);

  size_t ChannelCount() const;
  size_t IpCount() const;
  // Calls fn(key, mid) for every mapped key, one bucket at a time under that bucket's lock (fn
  // must be quick and must not call back into Buckets).
  void ForEachSession(const std::function<void(const std::string& key, int64_t mid)>& fn) const;

 private:
  struct Entry {
    uint64_t id = 0;
    int64_t mid = 0;
  };
  struct Bucket {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> chs;
    std::unordered_map<std::string, int32_t> ips;
  };
  Bucket& Of(const std::string& s) const;
  std::vector<std::unique_ptr<Bucket>> buckets_;
};

}  // namespace goim::comet
