// router::SessionStore: the session table that goim v2 kept in Redis, in memory and sharded.
//   key -> {mid, server}            (goim key_<key>)
//   mid -> {key -> server}          (goim mid_<mid>; mid 0 is never indexed)
// Every entry expires `ttl` after its last write unless renewed (goim: EXPIRE 30m). Each shard
// keeps its entries in a list ordered by expiry (the TTL is one value, so a renewal moves the
// entry to the tail): the cleaner pops expired entries from the head without scanning.
// Key entries shard on hash(key), mid entries on hash(mid): lookups of different keys rarely
// share a lock. [thread-safe]
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace goim::router {

using Clock = std::chrono::steady_clock;

struct KeySession {
  int64_t mid = 0;
  std::string server;
};

struct SessionStats {
  int64_t keys = 0;
  int64_t mid_entries = 0;
  int64_t expired = 0;
  std::map<std::string, int64_t> server_keys;
};

class SessionStore {
 public:
  struct Options {
    int shards = 64;
    Clock::duration ttl = std::chrono::minutes(30);
  };
  using NowFn = std::function<Clock::time_point()>;

  explicit SessionStore(Options opts, NowFn now = nullptr);
  ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Writes or renews; returns true when the entry already existed (it is renewed and, when the
  // server changed, repointed: *moved_from is then the server it pointed at).
  bool PutKey(const std::string& key, int64_t mid, const std::string& server,
              std::string* moved_from = nullptr);
  bool PutMid(int64_t mid, const std::string& key, const std::string& server);
  // Deletes only while the entry still points at server; returns whether it deleted.
  bool DelKey(const std::string& key, const std::string& server);
  bool DelMid(int64_t mid, const std::string& key, const std::string& server);

  std::optional<KeySession> GetKey(const std::string& key) const;
  // Appends (key, server) of every live connection of mid.
  void GetMid(int64_t mid, std::vector<std::pair<std::string, std::string>>* out) const;

  // Removes every entry pointing at server (a dead comet); returns how many.
  size_t DelServer(const std::string& server);
  // Removes entries whose expiry has passed, at most max_per_shard per shard; returns how many.
  size_t Clean(size_t max_per_shard = SIZE_MAX);

  SessionStats Stats() const;

 private:
  struct Entry;
  struct Shard;
  Clock::time_point Now() const { return now_ ? now_() : Clock::now(); }
  Shard& KeyShard(const std::string& key) const;
  Shard& MidShard(int64_t mid) const;

  Options opts_;
  NowFn now_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace goim::router
