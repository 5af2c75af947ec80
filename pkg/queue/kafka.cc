#include "pkg/queue/kafka.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <glog/logging.h>
#include <librdkafka/rdkafkacpp.h>

#include "pkg/metrics/metrics.h"

namespace goim::queue {

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

void Set(RdKafka::Conf* conf, const std::string& k, const std::string& v) {
  std::string err;
  if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK)
    throw std::runtime_error("kafka property " + k + "=" + v + ": " + err);
}

struct Counters {
  metrics::Counter* produced = metrics::Registry::Default().NewCounter(
      "goim_queue_kafka_produced_total", "Messages the Kafka broker acknowledged");
  metrics::Counter* produce_failed = metrics::Registry::Default().NewCounter(
      "goim_queue_kafka_produce_failed_total", "Messages Kafka refused or failed to deliver");
  metrics::Counter* replaced = metrics::Registry::Default().NewCounter(
      "goim_queue_kafka_producer_replaced_total",
      "Kafka producers replaced after a fatal error (their pending messages failed)");
  metrics::Counter* consume_errors = metrics::Registry::Default().NewCounter(
      "goim_queue_kafka_consume_errors_total", "Errors returned while consuming from Kafka");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

class DeliveryReporter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& m) override {
    auto* cb = static_cast<DeliveryCallback*>(m.msg_opaque());
    if (m.err() == RdKafka::ERR_NO_ERROR) {
      Counters::Get().produced->Inc();
      if (cb && *cb) (*cb)("");
    } else {
      Counters::Get().produce_failed->Inc();
      LOG_EVERY_T(WARNING, 1) << "queue: kafka delivery failed error(" << m.errstr() << ")";
      if (cb && *cb) (*cb)("kafka: " + m.errstr());
    }
    delete cb;
  }
};

// One librdkafka producer at a time. The idempotent producer stops for good on a fatal error (with
// librdkafka 2.0.2, e.g. "out of order sequence number" after a broker crash): a new one then
// takes over, and the old one's pending messages fail to their callers.
class KafkaProducer : public Producer {
 public:
  explicit KafkaProducer(const KafkaOptions& o) : opts_(o), handle_(NewHandle()) {
    poller_ = std::thread([this] { PollLoop(); });
  }

  ~KafkaProducer() override {
    Flush(std::chrono::milliseconds(5000));
    stop_ = true;
    if (poller_.joinable()) poller_.join();
    Current()->poll(0);
  }

  void Produce(std::string key, std::string value, DeliveryCallback done) override {
    auto* cb = new DeliveryCallback(std::move(done));
    RdKafka::ErrorCode ec = Current()->produce(
        opts_.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, value.data(),
        value.size(), key.empty() ? nullptr : key.data(), key.size(), 0, cb);
    if (ec != RdKafka::ERR_NO_ERROR) {
      Counters::Get().produce_failed->Inc();
      LOG_EVERY_T(WARNING, 1) << "queue: kafka produce refused error(" << RdKafka::err2str(ec)
                              << ")";
      if (*cb) (*cb)("kafka: " + RdKafka::err2str(ec));
      delete cb;
    }
  }

  int Flush(std::chrono::milliseconds timeout) override {
    auto h = Current();
    h->flush(static_cast<int>(timeout.count()));
    return h->outq_len();
  }

 private:
  std::shared_ptr<RdKafka::Producer> NewHandle() {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    Set(conf.get(), "bootstrap.servers", Join(opts_.brokers));
    for (const auto& [k, v] : kProducerDefaults) Set(conf.get(), k, v);
    for (const auto& [k, v] : opts_.properties) Set(conf.get(), k, v);
    std::string err;
    if (conf->set("dr_cb", &reporter_, err) != RdKafka::Conf::CONF_OK)
      throw std::runtime_error(err);
    std::shared_ptr<RdKafka::Producer> h(RdKafka::Producer::create(conf.get(), err));
    if (!h) throw std::runtime_error("kafka producer: " + err);
    return h;
  }

  // [thread-safe]
  std::shared_ptr<RdKafka::Producer> Current() {
    std::lock_guard<std::mutex> lock(mu_);
    return handle_;
  }

  // Serves delivery reports; replaces a producer that hit a fatal error. [poller thread]
  void PollLoop() {
    while (!stop_.load(std::memory_order_relaxed)) {
      auto h = Current();
      h->poll(50);
      std::string reason;
      if (h->fatal_error(reason) != RdKafka::ERR_NO_ERROR) Replace(h, reason);
    }
  }

  void Replace(const std::shared_ptr<RdKafka::Producer>& old, const std::string& reason) {
    std::shared_ptr<RdKafka::Producer> fresh;
    try {
      fresh = NewHandle();
    } catch (const std::exception& e) {
      LOG_EVERY_T(ERROR, 5) << "queue: kafka producer cannot be replaced error(" << e.what() << ")";
      return;
    }
    Counters::Get().replaced->Inc();
    LOG(ERROR) << "queue: kafka producer fatal error(" << reason
               << "), replaced by a new producer; its pending messages fail";
    {
      std::lock_guard<std::mutex> lock(mu_);
      handle_ = fresh;
    }
    // Their delivery reports (errors) reach the callers through this poll.
    old->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (old->outq_len() > 0 && std::chrono::steady_clock::now() < until) old->poll(50);
  }

  const KafkaOptions opts_;
  DeliveryReporter reporter_;
  std::mutex mu_;
  std::shared_ptr<RdKafka::Producer> handle_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

class KafkaConsumer : public Consumer, public RdKafka::RebalanceCb {
 public:
  explicit KafkaConsumer(const KafkaOptions& o) : topic_(o.topic) {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    Set(conf.get(), "bootstrap.servers", Join(o.brokers));
    Set(conf.get(), "group.id", o.group);
    // Offsets are committed by the job, only after the work is done (at-least-once).
    Set(conf.get(), "enable.auto.commit", "false");
    Set(conf.get(), "enable.auto.offset.store", "false");
    // A new group starts from the oldest retained message rather than skipping what was
    // produced before it joined (goim starts from the newest and loses those).
    Set(conf.get(), "auto.offset.reset", "earliest");
    // Back within a second of a broker's return (librdkafka's backoff grows to 10 s).
    Set(conf.get(), "reconnect.backoff.max.ms", "1000");
    for (const auto& [k, v] : o.properties) Set(conf.get(), k, v);
    std::string err;
    if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), err) !=
        RdKafka::Conf::CONF_OK)
      throw std::runtime_error(err);
    consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!consumer_) throw std::runtime_error("kafka consumer: " + err);
    RdKafka::ErrorCode ec = consumer_->subscribe({topic_});
    if (ec != RdKafka::ERR_NO_ERROR)
      throw std::runtime_error("kafka subscribe: " + RdKafka::err2str(ec));
  }

  ~KafkaConsumer() override { Close(); }

  void SetListener(Listener l) override { listener_ = std::move(l); }

  void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& parts) override {
    std::vector<int32_t> ids;
    for (auto* tp : parts) ids.push_back(tp->partition());
    // Commits made by the listeners below are synchronous (see Commit).
    rebalance_thread_ = std::this_thread::get_id();
    bool cooperative = c->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      LOG(INFO) << "queue: kafka partitions assigned count=" << ids.size();
      if (listener_.assigned) listener_.assigned(ids);
      if (cooperative)
        c->incremental_assign(parts);
      else
        c->assign(parts);
      if (paused_) c->pause(parts);
    } else {
      LOG(INFO) << "queue: kafka partitions revoked count=" << ids.size();
      if (listener_.revoked) listener_.revoked(ids);
      if (cooperative)
        c->incremental_unassign(parts);
      else
        c->unassign();
    }
    rebalance_thread_ = std::thread::id();
  }

  std::optional<Message> Poll(int timeout_ms) override {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(timeout_ms));
    if (!m) return std::nullopt;
    switch (m->err()) {
      case RdKafka::ERR_NO_ERROR: {
        Message out;
        out.partition = m->partition();
        out.offset = m->offset();
        if (m->key()) out.key = *m->key();
        out.value.assign(static_cast<const char*>(m->payload()), m->len());
        return out;
      }
      case RdKafka::ERR__TIMED_OUT:
      case RdKafka::ERR__PARTITION_EOF:
        return std::nullopt;
      default:
        Counters::Get().consume_errors->Inc();
        LOG_EVERY_T(WARNING, 5) << "queue: kafka consume error(" << m->errstr() << ")";
        return std::nullopt;
    }
  }

  void Commit(const std::vector<PartitionOffset>& offsets) override {
    std::vector<RdKafka::TopicPartition*> tps;
    for (const auto& po : offsets)
      tps.push_back(RdKafka::TopicPartition::create(topic_, po.partition, po.offset));
    RdKafka::ErrorCode ec;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) ec = RdKafka::ERR__STATE;
      // Inside a revoke the commit must land before the partitions go to another consumer.
      else if (std::this_thread::get_id() == rebalance_thread_)
        ec = consumer_->commitSync(tps);
      else
        ec = consumer_->commitAsync(tps);
    }
    if (ec != RdKafka::ERR_NO_ERROR) {
      LOG_EVERY_T(WARNING, 5) << "queue: kafka commit error(" << RdKafka::err2str(ec) << ")";
    }
    RdKafka::TopicPartition::destroy(tps);
  }

  void Pause() override { SetPaused(true); }
  void Resume() override { SetPaused(false); }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_) return;
      closing_ = true;
    }
    consumer_->close();  // runs the final revoke, whose listener may still Commit
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }

 private:
  void SetPaused(bool p) {
    if (paused_ == p) return;
    paused_ = p;
    std::vector<RdKafka::TopicPartition*> parts;
    consumer_->assignment(parts);
    if (p)
      consumer_->pause(parts);
    else
      consumer_->resume(parts);
    RdKafka::TopicPartition::destroy(parts);
  }

  std::string topic_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  Listener listener_;
  bool paused_ = false;
  std::mutex mu_;
  bool closing_ = false;
  bool closed_ = false;
  std::atomic<std::thread::id> rebalance_thread_{};
};

}  // namespace

std::unique_ptr<Producer> NewKafkaProducer(const KafkaOptions& opts) {
  return std::make_unique<KafkaProducer>(opts);
}

std::unique_ptr<Consumer> NewKafkaConsumer(const KafkaOptions& opts) {
  return std::make_unique<KafkaConsumer>(opts);
}

}  // namespace goim::queue
