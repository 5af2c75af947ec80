// job: pushes to the named comet, room batches (in order, to every comet, numbered by the
// history store), broadcast speed, commits after the comets accepted.
#include "test/job/job_fixture.h"

namespace goim::job::jobtest {
namespace {

using namespace std::chrono_literals;

TEST_F(JobTest, PushGoesOnlyToTheNamedComet) {
  StartJob();
  Produce(goim::logic::PushMsg::PUSH, 1000, "hi", "comet-b", "", {"k1", "k2"});
  Produce(goim::logic::PushMsg::PUSH, 1000, "lost", "comet-zzz", "", {"k3"});
  ASSERT_TRUE(Ticking([&] { return b_.Count() == 1 && queue_->uncommitted() == 0; },
                      cfg_.consumer.commitInterval));
  EXPECT_EQ(b_.Calls()[0], "push:k1,k2,:1000:hi");
  EXPECT_EQ(a_.Count(), 0u);
  EXPECT_GE(metrics::Registry::Default().Get("goim_job_unknown_server_total"), 1);
}

TEST_F(JobTest, RoomMessagesAreBatchedInOrderToEveryComet) {
  StartJob();
  for (int i = 0; i < 45; ++i)
    Produce(goim::logic::PushMsg::ROOM, 1000, "m" + std::to_string(i), "", "live://1");
  ASSERT_TRUE(Ticking([&] { return queue_->uncommitted() == 0; }, cfg_.room.signal));
  for (FakeComet* c : {&a_, &b_}) {
    std::string all;
    for (const auto& call : c->Calls()) {
      ASSERT_EQ(call.rfind("room:live://1:", 0), 0u) << call;
      all += (all.empty() ? "" : "|") + call.substr(std::string("room:live://1:").size());
    }
    std::string want;
    for (int i = 0; i < 45; ++i) want += (i ? "|m" : "m") + std::to_string(i);
    EXPECT_EQ(all, want);  // every message once, in order
    EXPECT_LE(c->Count(), 10u);
    EXPECT_GE(c->Count(), 3u);  // at most 20 per batch
  }
}

// Room history: each batch is appended before it is sent, and goes out with its offsets.
TEST_F(JobTest, RoomBatchesAreAppendedToHistoryAndCarryTheirOffsets) {
  cfg_.history.enabled = true;
  cfg_.historyInProcess = true;
  auto store = std::make_shared<history::MemoryStore>(cfg_.history);
  StartJob(store);
  for (int i = 0; i < 25; ++i)
    Produce(goim::logic::PushMsg::ROOM, 1000, "m" + std::to_string(i), "", "live://h");
  ASSERT_TRUE(Ticking([&] { return queue_->uncommitted() == 0; }, cfg_.room.signal));
  history::ReadReply stored = store->Last("live://h", 100);
  ASSERT_EQ(stored.messages.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(stored.messages[static_cast<size_t>(i)].offset, i + 1);
    EXPECT_EQ(stored.messages[static_cast<size_t>(i)].body, "m" + std::to_string(i));
  }
  for (FakeComet* c : {&a_, &b_}) {
    int64_t next = 1;
    for (const std::string& call : c->Calls()) {
      const size_t at = call.find(":@");
      ASSERT_NE(at, std::string::npos) << "a batch without offsets: " << call;
      const size_t hash = call.find('#', at);
      EXPECT_EQ(call.substr(hash + 1), stored.epoch);
      std::stringstream offsets(call.substr(at + 2, hash - at - 2));
      for (std::string o; std::getline(offsets, o, ',');) EXPECT_EQ(std::stoll(o), next++) << call;
    }
    EXPECT_EQ(next, 26) << "every message once, numbered in order";
  }
}

TEST_F(JobTest, BroadcastSplitsTheSpeedAmongComets) {
  StartJob();
  Produce(goim::logic::PushMsg::BROADCAST, 1002, "all", "", "", {}, 100);
  Produce(goim::logic::PushMsg::BROADCAST, 1003, "all", "", "", {},
          1);  // goim: 1/2 = 0 (unlimited)
  ASSERT_TRUE(Eventually([&] { return a_.Count() == 2 && b_.Count() == 2; }));
  auto calls = a_.Calls();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls[0], "all:1002:50");
  EXPECT_EQ(calls[1], "all:1003:1");
}

TEST_F(JobTest, CommitsOnlyAfterTheCometsAcceptedTheWork) {
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    a_.fail_next = 5;  // comet-a refuses the first calls: the job retries, nothing is committed
  }
  StartJob();
  const double retries = Metric("goim_job_comet_retries_total");
  Produce(goim::logic::PushMsg::PUSH, 1000, "must-arrive", "comet-a", "", {"k"});
  int32_t partition = queue::PartitionOf("k", 4);
  // Each failure arms a retry after a backoff doubling from comet.retryBackoff.
  for (int failed = 1; failed <= 5; ++failed) {
    ASSERT_TRUE(Eventually([&] {
      return Metric("goim_job_comet_retries_total") == retries + failed;
    })) << "failure "
        << failed;
    LoopBarrier();
    ASSERT_TRUE(clock_.Advance(cfg_.comet.retryBackoff * (1 << (failed - 1))));
  }
  ASSERT_TRUE(Eventually([&] { return a_.Count() == 1; }));
  EXPECT_EQ(a_.Calls()[0], "push:k,:1000:must-arrive");
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 0; }));
  ASSERT_TRUE(clock_.Advance(cfg_.consumer.commitInterval));
  EXPECT_EQ(consumer_->Committed(partition), 1);
  EXPECT_GE(Metric("goim_job_comet_retries_total"), 5);
}

}  // namespace
}  // namespace goim::job::jobtest
