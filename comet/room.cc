#include "comet/room.h"

namespace goim::comet {

RoomIndex::~RoomIndex() {
  for (auto& [id, s] : rooms_) delete s;
}

RoomStats* RoomIndex::Acquire(const std::string& id, int loop) {
  std::lock_guard<std::mutex> lock(mu_);
  RoomStats*& s = rooms_[id];
  if (!s) {
    s = new RoomStats();
    s->id = id;
  }
  s->refs++;
  s->loops.fetch_or(uint64_t(1) << loop, std::memory_order_relaxed);
  return s;
}

void RoomIndex::Release(RoomStats* s, int loop) {
  std::lock_guard<std::mutex> lock(mu_);
  s->loops.fetch_and(~(uint64_t(1) << loop), std::memory_order_relaxed);
  if (--s->refs > 0) return;
  rooms_.erase(s->id);
  delete s;
}

uint64_t RoomIndex::Loops(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = rooms_.find(id);
  return it == rooms_.end() ? 0 : it->second->loops.load(std::memory_order_relaxed);
}

std::map<std::string, int32_t> RoomIndex::Counts() const {
  std::map<std::string, int32_t> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, s] : rooms_) {
    int32_t n = s->online.load(std::memory_order_relaxed);
    if (n > 0) out[id] = n;
  }
  return out;
}

void RoomIndex::SetAllOnline(const std::map<std::string, int32_t>& all) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, s] : rooms_) {
    auto it = all.find(id);
    s->all_online.store(it == all.end() ? 0 : it->second, std::memory_order_relaxed);
  }
}

size_t RoomIndex::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rooms_.size();
}

}  // namespace goim::comet
