// Room history end to end with the Redis store: goim-standalone over a Redis restart, wipe and
// outage; router + logic + comets + jobs on Kafka with a job killed mid-stream.
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/net/http_client.h"
#include "test/e2e/cluster.h"
#include "test/e2e/history_viewer.h"
#include "test/support/redis_server.h"

namespace goim::e2e {
namespace {

// --- the Redis store -----------------------------------------------------------------------------

TEST(HistoryRedisE2E, ARestartKeepsTheHistoryAWipeStartsANewEpochAnOutageLosesNoPush) {
  if (testing::RedisServer::Binary().empty()) GTEST_SKIP() << "redis-server is not installed";
  testing::RedisServer redis;
  std::string why;
  ASSERT_TRUE(redis.Start(&why)) << why;
  auto cluster =
      MakeStandalone("", "history: {store: redis, redis: {addr: \"" + redis.addr() + "\"}}\n");
  cluster->Start();
  net::HttpClient http(cluster->http);
  const std::string room = "live://restart";
  std::string err;
  Viewer watcher(cluster->comets[0].tcp, Transport::kTcp, room, "");
  ASSERT_TRUE(watcher.ok);
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(i)).body,
              R"({"code":0,"message":""})");
  ASSERT_EQ(watcher.Take(20).size(), 20u);
  Viewer before(cluster->comets[0].tcp, Transport::kTcp, room, R"("history":20)");
  ASSERT_EQ(before.offset(), 20);
  redis.Stop();
  ASSERT_TRUE(redis.Start(&why)) << why;
  Viewer after(cluster->comets[0].ws, Transport::kWs, room, R"("history":20)");
  ASSERT_TRUE(after.ok);
  EXPECT_TRUE(after.recovered());
  EXPECT_EQ(after.epoch(), before.epoch());
  EXPECT_EQ(after.offset(), 20);
  auto got = after.Take(20);
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(got[static_cast<size_t>(i)].body, Body(i));
  // And appends continue the same epoch.
  ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(20)).body,
            R"({"code":0,"message":""})");
  auto live = after.Next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->seq, 21);

  // The history wiped (FLUSHALL): the next push starts a new epoch, and the connected client is
  // told before it (op 18, recovered false) so its offsets starting over are not mistaken for
  // duplicates.
  EXPECT_EQ(redis.Command({"FLUSHALL"}), "OK");
  ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(21)).body,
            R"({"code":0,"message":""})");
  auto first = after.Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, Body(21));
  EXPECT_EQ(first->seq, 1);
  ASSERT_EQ(after.positions.size(), 1u);
  EXPECT_NE(after.positions[0].value("epoch", ""), before.epoch());
  EXPECT_FALSE(after.positions[0].value("recovered", true));
  EXPECT_EQ(after.positions[0].value("offset", int64_t{-1}), 0);

  // Redis down: pushes are still delivered (without offsets: seq 0, counted), joins still
  // succeed with recovered false; nothing stalls.
  redis.Stop();
  ASSERT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=restart", Body(22)).body,
            R"({"code":0,"message":""})");
  auto unnumbered = after.Next();
  ASSERT_TRUE(unnumbered) << "a push was lost with the store down";
  EXPECT_EQ(unnumbered->body, Body(22));
  EXPECT_EQ(unnumbered->seq, 0);
  EXPECT_GE(MetricAt(cluster->http, "goim_job_history_unnumbered_total"), 1);
  EXPECT_GE(MetricAt(cluster->http, "goim_history_store_errors_total{op=\"append\"}"), 1);
  Viewer down(cluster->comets[0].tcp, Transport::kTcp, room, R"("history":5)");
  ASSERT_TRUE(down.ok) << "the auth must not fail with the store";
  EXPECT_FALSE(down.recovered());
  EXPECT_GE(MetricAt(cluster->http, "goim_comet_history_errors_total"), 1);
  EXPECT_TRUE(down.c->Heartbeat());
}

// --- Kafka: a job killed mid-stream --------------------------------------------------------------

// Two jobs on Kafka with a Redis store; commits every 3 s, so the killed job surely dies with
// appended and delivered but uncommitted messages, which the survivor (or its restart) consumes
// again: each must come with the offset it got the first time.
TEST(HistoryKafkaE2E, AJobKilledMidStreamLeavesEveryMessageItsFirstOffset) {
  if (testing::RedisServer::Binary().empty()) GTEST_SKIP() << "redis-server is not installed";
  testing::RedisServer redis;
  std::string why;
  ASSERT_TRUE(redis.Start(&why)) << why;
  KafkaClusterOptions o;
  o.commit_interval = "3s";
  o.shared_yaml = "history: {enabled: true, store: redis, perRoom: 500, redis: {addr: \"" +
                  redis.addr() + "\"}}\n";
  auto cluster = MakeKafka(o);
  cluster->Start();
  for (const auto& addr : cluster->job_metrics)
    ASSERT_TRUE(
        Eventually([&] { return MetricAt(addr, "goim_job_assigned_partitions") > 0; }, 45s));
  const std::vector<std::string> rooms = {"k0", "k1", "k2", "k3", "k4", "k5"};
  std::map<std::string, std::vector<std::unique_ptr<Viewer>>> by_room;
  for (const auto& r : rooms) {
    for (int i = 0; i < 2; ++i) {
      const auto& c = cluster->comets[static_cast<size_t>(i)];
      by_room[r].push_back(
          std::make_unique<Viewer>(c.tcp, Transport::kTcp, "live://" + r, R"("history":0)"));
      ASSERT_TRUE(by_room[r].back()->ok);
    }
  }
  const int n = 150;
  std::thread pusher([&] {
    net::HttpClient http(cluster->http);
    for (int m = 0; m < n; ++m) {
      for (const auto& r : rooms)
        EXPECT_EQ(http.Post("/goim/push/room?operation=1000&type=live&room=" + r, Body(m)).body,
                  R"({"code":0,"message":""})");
      std::this_thread::sleep_for(10ms);  // paces the stream so the kill lands inside it
    }
  });
  Process* victim = Jobs(*cluster).front();
  ASSERT_TRUE(Eventually(
      [&] { return MetricAt(cluster->job_metrics[0], "goim_job_done_total") >= 40; }, 30s));
  victim->Stop(SIGKILL);
  victim->Start();
  pusher.join();
  int redelivered = 0;
  for (auto& [room, viewers] : by_room) {
    for (auto& v : viewers) {
      std::map<std::string, std::set<int32_t>> seqs;  // body -> every seq it came with
      while (static_cast<int>(seqs.size()) < n) {
        auto f = v->Next(60s);
        ASSERT_TRUE(f) << room << ": lost messages, got " << seqs.size();
        if (!seqs[f->body].insert(f->seq).second) ++redelivered;
      }
      std::set<int32_t> all;
      for (const auto& [body, s] : seqs) {
        ASSERT_EQ(s.size(), 1u) << room << " " << body << " came under two offsets";
        EXPECT_GT(*s.begin(), 0) << room << " " << body << " came without an offset";
        all.insert(*s.begin());
      }
      EXPECT_EQ(all.size(), static_cast<size_t>(n)) << room << ": two messages share an offset";
      EXPECT_EQ(*all.begin(), 1);
      EXPECT_EQ(*all.rbegin(), n) << room << ": offsets not contiguous";
    }
  }
  // Re-consumed messages reached the store again and were answered with their first offsets.
  double dups = 0;
  for (const auto& addr : cluster->job_metrics)
    dups += MetricAt(addr, "goim_history_appends_total{result=\"duplicate\"}");
  std::printf(
      "history: job killed mid-stream: %.0f re-consumed messages kept their first offsets; %d "
      "frames reached an opted-in client twice (same offset)\n",
      dups, redelivered);
  EXPECT_GT(dups, 0) << "the kill did not hit uncommitted work: the test proved nothing";
  EXPECT_EQ(redelivered, 0) << "the comet leaves out frames an opted-in client had (by offset)";
}

}  // namespace
}  // namespace goim::e2e
