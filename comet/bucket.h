// comet::Buckets: the comet-wide key index (goim's buckets): key -> channel id, split into
// `size` buckets by hash(key), each behind its own short lock. It holds ids (loop, slot,
// generation), never pointers: a push resolves the id on the channel's own loop. Also counts
// connections per client IP for ip_count. [thread-safe]
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace goim::comet {

class Buckets {
 public:
  Buckets(int size, int reserve);

  // Maps key to id; returns the id it replaced (0: none), which the caller kicks.
  uint64_t Put(const std::string& key, uint64_t id);
  // Unmaps key only while it still maps to id (a kicked channel must not unmap its successor);
  // returns whether it did.
  bool Del(const std::string& key, uint64_t id);
  uint64_t Get(const std::string& key) const;

  void AddIp(const std::string& ip);
  void DelIp(const std::string& ip);

  size_t ChannelCount() const;
  size_t IpCount() const;

 private:
  struct Bucket {
    mutable std::mutex mu;
    std::unordered_map<std::string, uint64_t> chs;
    std::unordered_map<std::string, int32_t> ips;
  };
  Bucket& Of(const std::string& s) const;
  std::vector<std::unique_ptr<Bucket>> buckets_;
};

}  // namespace goim::comet
