// The Kafka path when the broker fails, through logic's HTTP API: a broker that crashes and
// restarts mid-stream (every push answered code 0 is in the topic exactly once: the idempotent
// producer's retries are not written twice), and an outage longer than the producer's message
// timeout (the callers get an error, never code 0, and nothing accepted is lost). These tests stop
// and start the e2e_kafka fixture's broker (same address); only logic runs (no jobs consume).
#include <atomic>
#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/net/http_client.h"
#include "test/e2e/cluster.h"

namespace goim::e2e {
namespace {

const std::string kOk = R"({"code":0,"message":""})";

// How often each body "<tag>:<n>;" occurs in the topic's values, by n.
std::map<int, int> CountBodies(const std::string& values, const std::string& tag) {
  std::map<int, int> count;
  const std::string prefix = tag + ":";
  for (size_t at = values.find(prefix); at != std::string::npos; at = values.find(prefix, at + 1)) {
    size_t i = at + prefix.size();
    int n = 0;
    bool digits = false;
    for (; i < values.size() && std::isdigit(static_cast<unsigned char>(values[i])); ++i) {
      n = n * 10 + (values[i] - '0');
      digits = true;
    }
    if (digits && i < values.size() && values[i] == ';') ++count[n];
  }
  return count;
}

// Room pushes "<tag>:<n>;" from several connections at once, as fast as logic answers, until
// stopped; records which n were answered code 0 and which were not. Rooms r0..r7 cover the
// topic's partitions.
class PushStream {
 public:
  PushStream(const std::string& http, std::string tag, int connections) : tag_(std::move(tag)) {
    for (int t = 0; t < connections; ++t) {
      threads_.emplace_back([this, http] {
        net::HttpClient client(http, std::chrono::seconds(60));
        for (int n; !stop_.load() && (n = next_++) >= 0;) {
          auto r =
              client.Post("/goim/push/room?operation=1000&type=live&room=r" + std::to_string(n % 8),
                          tag_ + ":" + std::to_string(n) + ";");
          std::lock_guard<std::mutex> lock(mu_);
          (r.body == kOk ? ok_ : failed_).push_back(n);
          if (r.body != kOk && failures_.size() < 5) failures_.push_back(r.body + r.error);
        }
      });
    }
  }
  ~PushStream() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  size_t accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return ok_.size();
  }
  // After Stop.
  const std::vector<int>& ok() const { return ok_; }
  const std::vector<int>& failed() const { return failed_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::string tag_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{0};
  std::mutex mu_;
  std::vector<int> ok_, failed_;
  std::vector<std::string> failures_;
  std::vector<std::thread> threads_;
};

class KafkaBroker : public ::testing::Test {
 protected:
  void StartLogic(const std::string& producer_props) {
    KafkaClusterOptions o;
    o.comets = 0;
    o.jobs = 0;
    o.producer_props = producer_props;
    cluster_ = MakeKafka(o);
    cluster_->Start();
  }
  // A test that fails with the broker down leaves one for the tests after it.
  void TearDown() override {
    if (broker_down_) KafkaBrokerStart();
  }
  bool Kill() { return broker_down_ = KafkaBrokerKill(); }
  bool Stop() { return broker_down_ = KafkaBrokerStop(); }
  bool Start() {
    bool up = KafkaBrokerStart();
    broker_down_ = !up;
    return up;
  }
  std::string LogicLog() {
    for (auto& p : cluster_->procs) {
      if (p->name() == "logic") {
        std::ifstream in(p->log_path());
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
      }
    }
    return "";
  }

  std::unique_ptr<Cluster> cluster_;
  bool broker_down_ = false;
};

TEST_F(KafkaBroker, ACrashAndARestartMidStreamWriteEachAcceptedPushExactlyOnce) {
  StartLogic("{}");
  PushStream stream(cluster_->http, "r", 16);
  ASSERT_TRUE(Eventually([&] { return stream.accepted() >= 500; }, 30s));
  // A crash: requests in flight die with the broker, and the producer sends them again.
  ASSERT_TRUE(Kill());
  size_t at_kill = stream.accepted();
  ASSERT_TRUE(Start());
  ASSERT_TRUE(Eventually([&] { return stream.accepted() >= at_kill + 500; }, 60s));
  // A clean restart (controlled shutdown) while pushes keep coming.
  ASSERT_TRUE(Stop());
  ASSERT_TRUE(Start());
  size_t at_restart = stream.accepted();
  ASSERT_TRUE(Eventually([&] { return stream.accepted() >= at_restart + 500; }, 60s));
  stream.Stop();

  // A push may fail (its caller told so) when the crash stops the producer for good and logic
  // replaces it (librdkafka 2.0.2: "out of order sequence number", now and then); a failed push
  // may still have reached the broker, but never twice.
  auto count = CountBodies(ReadTopic(cluster_->topic), "r");
  int missing = 0, twice = 0, failed_in_topic = 0;
  for (int n : stream.ok()) {
    if (count[n] == 0) ++missing;
    if (count[n] > 1) ++twice;
  }
  for (int n : stream.failed()) {
    if (count[n] > 1) ++twice;
    failed_in_topic += count[n];
  }
  size_t in_topic = 0;
  for (const auto& [n, k] : count) in_topic += static_cast<size_t>(k);
  std::printf(
      "broker crash + restart mid-stream: %zu pushes accepted, %zu failed (%d of them in the "
      "topic), %zu messages in the topic; producers replaced: %.0f\n",
      stream.ok().size(), stream.failed().size(), failed_in_topic, in_topic,
      MetricAt(cluster_->http, "goim_queue_kafka_producer_replaced_total"));
  if (!stream.failures().empty()) std::printf("  e.g. %s\n", stream.failures()[0].c_str());
  EXPECT_EQ(missing, 0) << "accepted pushes missing from the topic";
  EXPECT_EQ(twice, 0) << "pushes written more than once";
  EXPECT_EQ(in_topic, stream.ok().size() + static_cast<size_t>(failed_in_topic));
}

TEST_F(KafkaBroker, AnOutageLongerThanTheMessageTimeoutFailsTheCallersAndLosesNothingAccepted) {
  StartLogic("{message.timeout.ms: \"2000\"}");
  net::HttpClient http(cluster_->http, std::chrono::seconds(30));
  auto push = [&](int n) {
    return http.Post("/goim/push/room?operation=1000&type=live&room=r" + std::to_string(n % 8),
                     "o:" + std::to_string(n) + ";");
  };
  std::vector<int> accepted;
  for (int n = 0; n < 20; ++n) {
    ASSERT_EQ(push(n).body, kOk);
    accepted.push_back(n);
  }
  // Counted by logic (pushes the queue failed) and by the producer (deliveries that failed).
  const std::vector<std::string> failed_metrics{"goim_logic_queue_failed_total",
                                                "goim_queue_kafka_produce_failed_total"};
  std::vector<double> failed_before;
  for (const auto& m : failed_metrics) {
    failed_before.push_back(MetricAt(cluster_->http, m));
    ASSERT_GE(failed_before.back(), 0) << m;
  }

  ASSERT_TRUE(Stop());
  // Four callers during the outage, at once: each waits out the 2 s and gets an error.
  std::vector<std::string> replies(4);
  {
    std::vector<std::thread> callers;
    for (int i = 0; i < 4; ++i) {
      callers.emplace_back([&, i] {
        net::HttpClient c(cluster_->http, std::chrono::seconds(30));
        auto r = c.Post("/goim/push/room?operation=1000&type=live&room=r" + std::to_string(i),
                        "o:" + std::to_string(100 + i) + ";");
        replies[static_cast<size_t>(i)] = r.body;
      });
    }
    for (auto& t : callers) t.join();
  }
  for (const auto& r : replies) {
    EXPECT_NE(r.find(R"("code":-500)"), std::string::npos) << r;
    EXPECT_NE(r.find("timed out"), std::string::npos) << r;
  }
  for (size_t i = 0; i < failed_metrics.size(); ++i)
    EXPECT_EQ(MetricAt(cluster_->http, failed_metrics[i]), failed_before[i] + 4)
        << failed_metrics[i];
  EXPECT_NE(LogicLog().find("kafka delivery failed"), std::string::npos);

  ASSERT_TRUE(Start());
  // The producer reconnects (a push may still time out meanwhile); from its first success on,
  // every push is accepted.
  int n = 200;
  ASSERT_TRUE(Eventually(
      [&] {
        bool ok = push(n).body == kOk;
        if (ok) accepted.push_back(n);
        ++n;
        return ok;
      },
      30s));
  for (int end = n + 20; n < end; ++n) {
    ASSERT_EQ(push(n).body, kOk);
    accepted.push_back(n);
  }

  auto count = CountBodies(ReadTopic(cluster_->topic), "o");
  for (int a : accepted) EXPECT_EQ(count[a], 1) << "accepted push " << a;
  for (int f = 100; f < 104; ++f)
    EXPECT_EQ(count.count(f), 0u) << "push " << f << " failed yet is in the topic";
}

}  // namespace
}  // namespace goim::e2e
