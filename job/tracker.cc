#include "job/tracker.h"

namespace goim::job {

void OffsetTracker::Begin(int32_t partition, int64_t offset) {
  Part& p = parts_[partition];
  if (p.pending.insert(offset).second) ++pending_;
  if (offset + 1 > p.next) p.next = offset + 1;
}

void OffsetTracker::Done(int32_t partition, int64_t offset) {
  auto it = parts_.find(partition);
  if (it == parts_.end()) return;  // forgotten (revoked) meanwhile
  if (it->second.pending.erase(offset)) --pending_;
}

std::vector<queue::PartitionOffset> OffsetTracker::Advance() {
  std::vector<queue::PartitionOffset> out;
  for (auto& [id, p] : parts_) {
    int64_t point = p.Point();
    if (point > p.committed) {
      p.committed = point;
      out.push_back({id, point});
    }
  }
  return out;
}

std::vector<queue::PartitionOffset> OffsetTracker::Points(
    const std::vector<int32_t>& partitions) const {
  std::vector<queue::PartitionOffset> out;
  for (int32_t id : partitions) {
    auto it = parts_.find(id);
    if (it != parts_.end() && it->second.next >= 0) out.push_back({id, it->second.Point()});
  }
  return out;
}

size_t OffsetTracker::Pending(const std::vector<int32_t>& partitions) const {
  size_t n = 0;
  for (int32_t id : partitions) {
    auto it = parts_.find(id);
    if (it != parts_.end()) n += it->second.pending.size();
  }
  return n;
}

void OffsetTracker::Forget(const std::vector<int32_t>& partitions) {
  for (int32_t id : partitions) {
    auto it = parts_.find(id);
    if (it == parts_.end()) continue;
    pending_ -= it->second.pending.size();
    parts_.erase(it);
  }
}

}  // namespace goim::job
