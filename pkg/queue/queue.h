// queue: the push queue between logic (producer) and job (consumer). Two implementations with
// the same semantics: Kafka (librdkafka; cluster mode) and Embedded (in-process; standalone).
// Values are goim.logic.PushMsg bytes; keys choose the partition (goim: keys[0], the room key,
// or the operation), so one room is one partition and keeps its order.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace goim::queue {

struct Message {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
};

// Called once per produced message: error empty = the queue accepted it (Kafka: the broker
// acknowledged it). Runs on a queue thread or, for the embedded queue, inline.
using DeliveryCallback = std::function<void(const std::string& error)>;

class Producer {
 public:
  virtual ~Producer() = default;
  virtual void Produce(std::string key, std::string value, DeliveryCallback done) = 0;
  // Waits up to timeout for outstanding deliveries; returns how many are still outstanding.
  virtual int Flush(std::chrono::milliseconds timeout) = 0;
};

struct PartitionOffset {
  int32_t partition = 0;
  int64_t offset = 0;  // the next offset to read: last processed + 1
};

class Consumer {
 public:
  // Run on the polling thread, inside Poll. revoked must finish or abandon the work of those
  // partitions before it returns (commits made inside it count); after it returns, another
  // consumer may own them.
  struct Listener {
    std::function<void(const std::vector<int32_t>&)> assigned;
    std::function<void(const std::vector<int32_t>&)> revoked;
  };

  virtual ~Consumer() = default;
  virtual void SetListener(Listener l) = 0;
  // The next message, or nullopt after timeout_ms (or while paused). [polling thread]
  virtual std::optional<Message> Poll(int timeout_ms) = 0;
  // [thread-safe]
  virtual void Commit(const std::vector<PartitionOffset>& offsets) = 0;
  // Back-pressure: stop / restart fetching; Poll keeps serving rebalances. [polling thread]
  virtual void Pause() = 0;
  virtual void Resume() = 0;
  // Leaves the group (a final revoke runs first). [polling thread]
  virtual void Close() = 0;
};

}  // namespace goim::queue
