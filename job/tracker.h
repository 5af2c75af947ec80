// job::OffsetTracker: at-least-once bookkeeping. Every consumed message is Begun with its
// (partition, offset) and Done once its work reached every target comet; a partition's commit
// point is its oldest message not yet done (or one past the newest begun). Nothing is committed
// past unfinished work. [job loop thread only]
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "pkg/queue/queue.h"

namespace goim::job {

class OffsetTracker {
 public:
  void Begin(int32_t partition, int64_t offset);
  void Done(int32_t partition, int64_t offset);
  // Partitions whose commit point moved since the last call, with that point.
  std::vector<queue::PartitionOffset> Advance();
  // The commit points of these partitions (whether or not they moved).
  std::vector<queue::PartitionOffset> Points(const std::vector<int32_t>& partitions) const;
  size_t Pending(const std::vector<int32_t>& partitions) const;
  size_t pending() const { return pending_; }
  // Drops the state of partitions handed to another consumer.
  void Forget(const std::vector<int32_t>& partitions);

 private:
  struct Part {
    std::set<int64_t> pending;
    int64_t next = -1;       // one past the newest begun offset
    int64_t committed = -1;  // the last point Advance returned
    int64_t Point() const { return pending.empty() ? next : *pending.begin(); }
  };
  std::map<int32_t, Part> parts_;
  size_t pending_ = 0;
};

}  // namespace goim::job
