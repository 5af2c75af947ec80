#include "pkg/queue/embedded.h"

#include <glog/logging.h>

#include "pkg/metrics/metrics.h"

namespace goim::queue {

int32_t PartitionOf(const std::string& key, int32_t n) {
  if (key.empty() || n <= 0) return 0;
  uint32_t h = 2166136261u;
  for (unsigned char c : key) {
    h ^= c;
    h *= 16777619u;
  }
  int32_t p = static_cast<int32_t>(h) % n;
  return p < 0 ? -p : p;
}

class EmbeddedProducer : public Producer {
 public:
  explicit EmbeddedProducer(std::shared_ptr<Embedded> q) : q_(std::move(q)) {}
  void Produce(std::string key, std::string value, DeliveryCallback done) override {
    std::string error;
    q_->Append(std::move(key), std::move(value), &error);
    if (done) done(error);
  }
  int Flush(std::chrono::milliseconds) override { return 0; }

 private:
  std::shared_ptr<Embedded> q_;
};

class EmbeddedConsumer : public Consumer {
 public:
  explicit EmbeddedConsumer(std::shared_ptr<Embedded> q) : q_(std::move(q)) {}
  void SetListener(Listener l) override { listener_ = std::move(l); }
  std::optional<Message> Poll(int timeout_ms) override {
    if (!assigned_) {
      assigned_ = true;
      if (listener_.assigned) listener_.assigned(All());
    }
    return q_->Next(timeout_ms, &paused_);
  }
  void Commit(const std::vector<PartitionOffset>& offsets) override { q_->Commit(offsets); }
  void Pause() override { paused_ = true; }
  void Resume() override { paused_ = false; }
  void Close() override {
    if (assigned_ && listener_.revoked) listener_.revoked(All());
    assigned_ = false;
  }

 private:
  std::vector<int32_t> All() const {
    std::vector<int32_t> v;
    for (int32_t i = 0; i < q_->partitions(); ++i) v.push_back(i);
    return v;
  }
  std::shared_ptr<Embedded> q_;
  Listener listener_;
  bool assigned_ = false;
  bool paused_ = false;
};

std::shared_ptr<Embedded> Embedded::Create(int partitions, size_t capacity) {
  return std::shared_ptr<Embedded>(new Embedded(partitions, capacity));
}

Embedded::Embedded(int partitions, size_t capacity)
    : parts_(static_cast<size_t>(partitions > 0 ? partitions : 1)), capacity_(capacity) {}

std::unique_ptr<Producer> Embedded::NewProducer() {
  return std::make_unique<EmbeddedProducer>(shared_from_this());
}
std::unique_ptr<Consumer> Embedded::NewConsumer() {
  return std::make_unique<EmbeddedConsumer>(shared_from_this());
}

size_t Embedded::uncommitted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uncommitted_;
}

bool Embedded::Append(std::string key, std::string value, std::string* error) {
  static metrics::Counter* full = metrics::Registry::Default().NewCounter(
      "goim_queue_embedded_full_total", "Produces refused because the embedded queue was full");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (uncommitted_ >= capacity_) {
      *error = "queue full (" + std::to_string(capacity_) + " messages not yet committed)";
      full->Inc();
      LOG_EVERY_T(WARNING, 1) << "queue: embedded queue full capacity=" << capacity_;
      return false;
    }
    Partition& p =
        parts_[static_cast<size_t>(PartitionOf(key, static_cast<int32_t>(parts_.size())))];
    Message m;
    m.partition = static_cast<int32_t>(&p - parts_.data());
    m.offset = p.base + static_cast<int64_t>(p.log.size());
    m.key = std::move(key);
    m.value = std::move(value);
    p.log.push_back(std::move(m));
    ++uncommitted_;
  }
  cv_.notify_one();
  return true;
}

std::optional<Message> Embedded::Next(int timeout_ms, const bool* paused) {
  std::unique_lock<std::mutex> lock(mu_);
  auto ready = [&]() -> Partition* {
    if (*paused) return nullptr;
    for (size_t i = 0; i < parts_.size(); ++i) {
      Partition& p = parts_[(rr_ + i) % parts_.size()];
      if (p.read < p.base + static_cast<int64_t>(p.log.size())) {
        rr_ = (rr_ + i + 1) % parts_.size();
        return &p;
      }
    }
    return nullptr;
  };
  Partition* p = ready();
  if (!p) {
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                 [&] { return (p = ready()) != nullptr; });
  }
  if (!p) return std::nullopt;
  Message m = p->log[static_cast<size_t>(p->read - p->base)];
  ++p->read;
  return m;
}

void Embedded::Commit(const std::vector<PartitionOffset>& offsets) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const PartitionOffset& po : offsets) {
    if (po.partition < 0 || static_cast<size_t>(po.partition) >= parts_.size()) continue;
    Partition& p = parts_[static_cast<size_t>(po.partition)];
    while (!p.log.empty() && p.base < po.offset) {
      p.log.pop_front();
      ++p.base;
      --uncommitted_;
    }
  }
}

}  // namespace goim::queue
