#include "router/session_store.h"

#include <algorithm>

#include "pkg/hash/ketama.h"

namespace goim::router {

// One mapping. Key entries use `key`, `mid`, `server`; mid entries the same three fields, indexed
// by mid. prev/next: the shard's expiry list.
struct SessionStore::Entry {
  bool by_mid = false;
  int64_t mid = 0;
  std::string key;
  std::string server;
  Clock::time_point expire;
  Entry* prev = nullptr;
  Entry* next = nullptr;
};

struct SessionStore::Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, std::unique_ptr<Entry>> keys;
  std::unordered_map<int64_t, std::vector<std::unique_ptr<Entry>>> mids;
  std::unordered_map<std::string, int64_t> server_keys;
  int64_t mid_entries = 0;
  int64_t expired = 0;
  Entry* head = nullptr;  // soonest expiry
  Entry* tail = nullptr;

  void Link(Entry* e) {
    e->prev = tail;
    e->next = nullptr;
    if (tail)
      tail->next = e;
    else
      head = e;
    tail = e;
  }
  void Unlink(Entry* e) {
    if (e->prev)
      e->prev->next = e->next;
    else
      head = e->next;
    if (e->next)
      e->next->prev = e->prev;
    else
      tail = e->prev;
    e->prev = e->next = nullptr;
  }
  void Touch(Entry* e, Clock::time_point expire) {
    Unlink(e);
    e->expire = expire;
    Link(e);
  }
  void CountServer(const std::string& server, int64_t delta) {
    auto it = server_keys.find(server);
    if (it == server_keys.end()) {
      if (delta > 0) server_keys.emplace(server, delta);
      return;
    }
    it->second += delta;
    if (it->second <= 0) server_keys.erase(it);
  }
  // Removes a key entry (already looked up); the caller holds mu.
  void EraseKey(std::unordered_map<std::string, std::unique_ptr<Entry>>::iterator it) {
    Unlink(it->second.get());
    CountServer(it->second->server, -1);
    keys.erase(it);
  }
  void EraseMid(Entry* e) {
    Unlink(e);
    auto it = mids.find(e->mid);
    if (it == mids.end()) return;
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [e](const auto& p) { return p.get() == e; }),
            v.end());
    if (v.empty()) mids.erase(it);
    --mid_entries;
  }
};

SessionStore::SessionStore(Options opts, NowFn now) : opts_(opts), now_(std::move(now)) {
  if (opts_.shards <= 0) opts_.shards = 1;
  for (int i = 0; i < opts_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

SessionStore::~SessionStore() = default;

SessionStore::Shard& SessionStore::KeyShard(const std::string& key) const {
  return *shards_[hash::BucketHash(key) % shards_.size()];
}

SessionStore::Shard& SessionStore::MidShard(int64_t mid) const {
  uint64_t h = static_cast<uint64_t>(mid) * 0x9E3779B97F4A7C15ull;
  return *shards_[(h >> 32) % shards_.size()];
}

bool SessionStore::PutKey(const std::string& key, int64_t mid, const std::string& server,
                          std::string* moved_from) {
  Shard& s = KeyShard(key);
  Clock::time_point expire = Now() + opts_.ttl;
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.keys.find(key);
  if (it != s.keys.end()) {
    Entry* e = it->second.get();
    if (e->server != server) {
      s.CountServer(e->server, -1);
      s.CountServer(server, 1);
      if (moved_from) *moved_from = std::move(e->server);
      e->server = server;
    }
    e->mid = mid;
    s.Touch(e, expire);
    return true;
  }
  auto e = std::make_unique<Entry>();
  e->key = key;
  e->mid = mid;
  e->server = server;
  e->expire = expire;
  s.Link(e.get());
  s.CountServer(server, 1);
  s.keys.emplace(key, std::move(e));
  return false;
}

bool SessionStore::PutMid(int64_t mid, const std::string& key, const std::string& server) {
  if (mid == 0) return false;
  Shard& s = MidShard(mid);
  Clock::time_point expire = Now() + opts_.ttl;
  std::lock_guard<std::mutex> lock(s.mu);
  auto& v = s.mids[mid];
  for (auto& e : v) {
    if (e->key == key) {
      e->server = server;
      s.Touch(e.get(), expire);
      return true;
    }
  }
  auto e = std::make_unique<Entry>();
  e->by_mid = true;
  e->mid = mid;
  e->key = key;
  e->server = server;
  e->expire = expire;
  s.Link(e.get());
  v.push_back(std::move(e));
  ++s.mid_entries;
  return false;
}

bool SessionStore::DelKey(const std::string& key, const std::string& server) {
  Shard& s = KeyShard(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.keys.find(key);
  if (it == s.keys.end() || it->second->server != server) return false;
  s.EraseKey(it);
  return true;
}

bool SessionStore::DelMid(int64_t mid, const std::string& key, const std::string& server) {
  Shard& s = MidShard(mid);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.mids.find(mid);
  if (it == s.mids.end()) return false;
  for (auto& e : it->second) {
    if (e->key == key && e->server == server) {
      s.EraseMid(e.get());
      return true;
    }
  }
  return false;
}

std::optional<KeySession> SessionStore::GetKey(const std::string& key) const {
  Shard& s = KeyShard(key);
  Clock::time_point now = Now();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.keys.find(key);
  if (it == s.keys.end() || it->second->expire <= now) return std::nullopt;
  return KeySession{it->second->mid, it->second->server};
}

void SessionStore::GetMid(int64_t mid,
                          std::vector<std::pair<std::string, std::string>>* out) const {
  Shard& s = MidShard(mid);
  Clock::time_point now = Now();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.mids.find(mid);
  if (it == s.mids.end()) return;
  for (const auto& e : it->second) {
    if (e->expire > now) out->emplace_back(e->key, e->server);
  }
}

size_t SessionStore::DelServer(const std::string& server) {
  size_t n = 0;
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto it = s.keys.begin(); it != s.keys.end();) {
      auto cur = it++;
      if (cur->second->server == server) {
        s.EraseKey(cur);
        ++n;
      }
    }
    std::vector<Entry*> doomed;
    for (auto& [mid, v] : s.mids) {
      for (auto& e : v) {
        if (e->server == server) doomed.push_back(e.get());
      }
    }
    for (Entry* e : doomed) s.EraseMid(e);
    n += doomed.size();
  }
  return n;
}

size_t SessionStore::Clean(size_t max_per_shard) {
  size_t n = 0;
  Clock::time_point now = Now();
  for (auto& sp : shards_) {
    Shard& s = *sp;
    std::lock_guard<std::mutex> lock(s.mu);
    size_t k = 0;
    while (s.head && s.head->expire <= now && k < max_per_shard) {
      Entry* e = s.head;
      if (e->by_mid) {
        s.EraseMid(e);
      } else {
        s.EraseKey(s.keys.find(e->key));
      }
      ++k;
    }
    s.expired += static_cast<int64_t>(k);
    n += k;
  }
  return n;
}

SessionStats SessionStore::Stats() const {
  SessionStats st;
  for (const auto& sp : shards_) {
    const Shard& s = *sp;
    std::lock_guard<std::mutex> lock(s.mu);
    st.keys += static_cast<int64_t>(s.keys.size());
    st.mid_entries += s.mid_entries;
    st.expired += s.expired;
    for (const auto& [server, n] : s.server_keys) st.server_keys[server] += n;
  }
  return st;
}

}  // namespace goim::router
