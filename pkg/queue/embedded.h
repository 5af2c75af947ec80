// queue::Embedded: the in-process queue of standalone mode. Partitioned by key hash like Kafka,
// ordered per partition, bounded: capacity counts messages produced and not yet committed, and
// a produce beyond it is refused ("queue full"), never dropped silently. One consumer owns all
// partitions. [thread-safe]
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "pkg/queue/queue.h"

namespace goim::queue {

class Embedded : public std::enable_shared_from_this<Embedded> {
 public:
  static std::shared_ptr<Embedded> Create(int partitions, size_t capacity);

  std::unique_ptr<Producer> NewProducer();
  std::unique_ptr<Consumer> NewConsumer();

  size_t uncommitted() const;
  int partitions() const { return static_cast<int>(parts_.size()); }

 private:
  friend class EmbeddedProducer;
  friend class EmbeddedConsumer;
  Embedded(int partitions, size_t capacity);

  bool Append(std::string key, std::string value, std::string* error);
  std::optional<Message> Next(int timeout_ms, const bool* paused);
  void Commit(const std::vector<PartitionOffset>& offsets);

  struct Partition {
    std::deque<Message> log;  // offsets [base, base + log.size())
    int64_t base = 0;
    int64_t read = 0;  // next offset to hand out
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Partition> parts_;
  size_t capacity_;
  size_t uncommitted_ = 0;
  size_t rr_ = 0;
};

// Partition of a key among n partitions: FNV-1a 32, as Sarama's (goim's) hash partitioner and
// librdkafka's "fnv1a" partitioner; empty keys go to partition 0.
int32_t PartitionOf(const std::string& key, int32_t n);

}  // namespace goim::queue
