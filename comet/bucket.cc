#include "comet/bucket.h"

#include "pkg/hash/ketama.h"

namespace goim::comet {

Buckets::Buckets(int size, int reserve) {
  for (int i = 0; i < (size > 0 ? size : 1); ++i) {
    buckets_.push_back(std::make_unique<Bucket>());
    buckets_.back()->chs.reserve(static_cast<size_t>(reserve));
  }
}

Buckets::Bucket& Buckets::Of(const std::string& s) const {
  return *buckets_[hash::BucketHash(s) % buckets_.size()];
}

uint64_t Buckets::Put(const std::string& key, uint64_t id, int64_t mid) {
  Bucket& b = Of(key);
  std::lock_guard<std::mutex> lock(b.mu);
  Entry& slot = b.chs[key];
  uint64_t old = slot.id;
  slot = {id, mid};
  return old == id ? 0 : old;
}

bool Buckets::Del(const std::string& key, uint64_t id) {
  Bucket& b = Of(key);
  std::lock_guard<std::mutex> lock(b.mu);
  auto it = b.chs.find(key);
  if (it == b.chs.end() || it->second.id != id) return false;
  b.chs.erase(it);
  return true;
}

uint64_t Buckets::Get(const std::string& key) const {
  Bucket& b = Of(key);
  std::lock_guard<std::mutex> lock(b.mu);
  auto it = b.chs.find(key);
  return it == b.chs.end() ? 0 : it->second.id;
}

void Buckets::AddIp(const std::string& ip) {
  Bucket& b = Of(ip);
  std::lock_guard<std::mutex> lock(b.mu);
  b.ips[ip]++;
}

void Buckets::DelIp(const std::string& ip) {
  Bucket& b = Of(ip);
  std::lock_guard<std::mutex> lock(b.mu);
  auto it = b.ips.find(ip);
  if (it != b.ips.end() && --it->second <= 0) b.ips.erase(it);
}

size_t Buckets::ChannelCount() const {
  size_t n = 0;
  for (const auto& b : buckets_) {
    std::lock_guard<std::mutex> lock(b->mu);
    n += b->chs.size();
  }
  return n;
}

void Buckets::ForEachSession(
    const std::function<void(const std::string& key, int64_t mid)>& fn) const {
  for (const auto& b : buckets_) {
    std::lock_guard<std::mutex> lock(b->mu);
    for (const auto& [key, e] : b->chs) fn(key, e.mid);
  }
}

size_t Buckets::IpCount() const {
  size_t n = 0;
  for (const auto& b : buckets_) {
    std::lock_guard<std::mutex> lock(b->mu);
    n += b->ips.size();
  }
  return n;
}

}  // namespace goim::comet
