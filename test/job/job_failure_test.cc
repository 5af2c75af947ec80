// job when comets fail, hang or leave; the adaptive room window; stop flushes and commits.
#include "test/job/job_fixture.h"

namespace goim::job::jobtest {
namespace {

using namespace std::chrono_literals;

TEST_F(JobTest, AHangingCometDoesNotDelayTheOthersAndIsDroppedAfterFailTimeout) {
  cfg_.comet.timeout = 60s;  // a real gRPC deadline: comet-a's calls stay unanswered meanwhile
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    a_.hang = true;
  }
  StartJob();
  for (int i = 0; i < 10; ++i)
    Produce(goim::logic::PushMsg::ROOM, 1000, "r" + std::to_string(i), "",
            "live://h" + std::to_string(i));
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 10; }));
  LoopBarrier();
  ASSERT_TRUE(clock_.Advance(cfg_.room.signal));  // every room's batch window ends
  // comet-b gets all ten rooms' batches at once, although comet-a answers nothing.
  ASSERT_TRUE(Eventually([&] { return b_.Count() == 10; }));
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    EXPECT_EQ(a_.calls.size(), 0u);
  }
  ASSERT_TRUE(clock_.Advance(cfg_.consumer.commitInterval));
  EXPECT_GT(queue_->uncommitted(), 0u);  // comet-a's share is not done: nothing committed past it
  // comet-a fails from now on; after comet.failTimeout it is dropped and the work counts as done.
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    a_.fail_next = 1 << 30;
  }
  a_.Release();
  ASSERT_TRUE(Ticking([&] { return queue_->uncommitted() == 0; }, 100ms));
  auto up = job_->UpComets();
  EXPECT_EQ(up, std::vector<std::string>{"comet-b"});
  EXPECT_GE(Metric("goim_job_comet_down_total"), 1);
  // Once it answers again it is back.
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    a_.fail_next = 0;
  }
  ASSERT_TRUE(Ticking([&] { return job_->UpComets().size() == 2; }, 100ms));
}

// A comet that leaves a live membership (job/comets.cc) goes at once, even with calls in flight:
// its work ends as comet_gone (committed), and the completions that come back later for its
// destroyed client are ignored. Back in the membership, it gets a new client.
TEST_F(JobTest, ACometThatLeavesWithCallsInFlightIsDroppedAtOnce) {
  cfg_.comet.timeout = 60s;  // comet-a's calls stay unanswered until Release
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    a_.hang = true;
  }
  StartJob();
  for (int i = 0; i < 10; ++i)
    Produce(goim::logic::PushMsg::ROOM, 1000, "r" + std::to_string(i), "",
            "live://l" + std::to_string(i));
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 10; }));
  LoopBarrier();
  ASSERT_TRUE(clock_.Advance(cfg_.room.signal));
  ASSERT_TRUE(Eventually([&] { return b_.Count() == 10; }));
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(a_.mu);
    return !a_.held.empty();  // a call is in flight on comet-a
  }));
  const double gone = Metric("goim_job_comet_calls_total{result=\"comet_gone\"}");

  job_->SetComets({cfg_.comets[1]});  // comet-a left
  EXPECT_EQ(job_->UpComets(), std::vector<std::string>{"comet-b"});
  EXPECT_EQ(Metric("goim_job_comet_calls_total{result=\"comet_gone\"}"), gone + 10);
  // Every message is done once comet-b's completions (posted by gRPC) have come back too.
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 0; }));
  ASSERT_TRUE(clock_.Advance(cfg_.consumer.commitInterval));
  EXPECT_EQ(queue_->uncommitted(), 0u);
  a_.Release();  // the held calls complete now, for a client that no longer exists
  LoopBarrier();

  job_->SetComets(cfg_.comets);  // comet-a is back
  Produce(goim::logic::PushMsg::PUSH, 1001, "again", "comet-a", "", {"key-1"});
  ASSERT_TRUE(Eventually([&] { return a_.Count() == 1; }));
  EXPECT_EQ(a_.Calls()[0], "push:key-1,:1001:again");
}

TEST_F(JobTest, BroadcastWaitsForAComet) {
  cfg_.comets.resize(1);
  cfg_.comets[0].grpc = "127.0.0.1:1";  // nothing listens
  cfg_.comet.failTimeout = 100ms;
  cfg_.comet.timeout = 100ms;
  StartJob();
  Produce(goim::logic::PushMsg::PUSH, 1000, "x", "comet-a", "",
          {"k"});  // makes the comet fail and go down
  ASSERT_TRUE(Ticking([&] { return job_->UpComets().empty(); }, cfg_.comet.retryBackoff));
  Produce(goim::logic::PushMsg::BROADCAST, 1000, "wait-for-me");
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 1; }));
  // The push is done (its comet left); the broadcast is held, not dropped.
  EXPECT_TRUE(Ticking([&] { return queue_->uncommitted() == 1; }, cfg_.consumer.commitInterval));
  // Commits and Rooms polls (which retry parked broadcasts) come and go; it stays parked.
  ASSERT_TRUE(clock_.Advance(cfg_.comet.roomsInterval + cfg_.consumer.commitInterval));
  EXPECT_EQ(queue_->uncommitted(), 1u);
  // Stop does not wait for the parked broadcast (nothing else would end it: the clock stands).
  auto stopped = std::async(std::launch::async, [&] { job_->Stop(); });
  ASSERT_EQ(stopped.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(queue_->uncommitted(), 1u);
}

TEST_F(JobTest, AdaptiveWindowSpendsEachRoomsWriteBudget) {
  cfg_.room.adaptive = true;
  cfg_.room.signal = 2s;
  cfg_.room.writesPerSecond = 1000;
  {
    std::lock_guard<std::mutex> lock(a_.mu);
    a_.online["live://big"] = 1000;  // one flush costs a second of budget
  }
  StartJob();
  ASSERT_TRUE(Eventually([&] { return job_->UpComets().size() == 2; }));
  ASSERT_TRUE(Eventually([&] { return job_->RoomOnline("live://big") == 1000; }));  // a Rooms poll
  const double batches = Metric("goim_job_room_batches_total");
  // A first message goes at once, whatever the room's size: nothing was spent yet.
  Produce(goim::logic::PushMsg::ROOM, 1000, "big-1", "", "live://big");
  ASSERT_TRUE(Eventually([&] { return b_.Count() == 1; }, 3s));  // the clock stands meanwhile
  // The next ones wait for the budget (1 s after the first flush) and share one flush.
  Produce(goim::logic::PushMsg::ROOM, 1000, "big-2", "", "live://big");
  Produce(goim::logic::PushMsg::ROOM, 1000, "big-3", "", "live://big");
  // A small room is not held back meanwhile.
  Produce(goim::logic::PushMsg::ROOM, 1000, "small", "", "live://small");
  ASSERT_TRUE(Eventually([&] { return b_.Count() == 2; }, 3s));
  EXPECT_EQ(b_.Calls()[1], "room:live://small:small");
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 2; }));  // big-2, big-3 wait
  LoopBarrier();
  ASSERT_TRUE(clock_.Advance(900ms));
  EXPECT_EQ(Metric("goim_job_room_batches_total"), batches + 2);  // not flushed before 1 s
  EXPECT_EQ(b_.Count(), 2u);
  ASSERT_TRUE(clock_.Advance(100ms));
  EXPECT_EQ(Metric("goim_job_room_batches_total"), batches + 3);
  ASSERT_TRUE(Eventually([&] { return b_.Count() == 3; }, 3s));
  EXPECT_EQ(b_.Calls()[2], "room:live://big:big-2|big-3");
}

TEST_F(JobTest, StopFlushesAndCommits) {
  cfg_.room.signal = 10s;  // only Stop flushes
  StartJob();
  for (int i = 0; i < 5; ++i)
    Produce(goim::logic::PushMsg::ROOM, 1000, "s" + std::to_string(i), "", "live://stop");
  ASSERT_TRUE(Eventually([&] { return job_->InflightMessages() == 5; }));
  job_->Stop();
  EXPECT_EQ(a_.Count(), 1u);
  EXPECT_EQ(queue_->uncommitted(), 0u);
}

}  // namespace
}  // namespace goim::job::jobtest
