// The job against real in-process gRPC comets, fed by the embedded queue. The job's timers
// (batch windows, commits, retries, probes, Rooms polls) run on a fake clock that only the tests
// move; the gRPC deadlines alone are real.
#include <future>
#include <sstream>

#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include "api/comet.grpc.pb.h"
#include "api/logic.pb.h"
#include "job/job.h"
#include "pkg/history/memory_store.h"
#include "pkg/metrics/metrics.h"
#include "pkg/protocol/frame.h"
#include "pkg/queue/embedded.h"
#include "pkg/time/fake_clock.h"

namespace goim::job {
namespace {

using namespace std::chrono_literals;

// A comet that records what job sends. fail_next: answer UNAVAILABLE that many times; hang: never
// answer (until Release).
class FakeComet final : public goim::comet::Comet::CallbackService {
 public:
  std::mutex mu;
  std::vector<std::string> calls;  // "push:<keys>:<op>", "room:<room>:<frames>", "all:<op>:<speed>"
  std::vector<grpc::ServerUnaryReactor*> held;  // calls not answered (hang)
  int fail_next = 0;
  bool hang = false;
  std::map<std::string, int32_t> online;

  void Start() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  void Stop() {
    Release();
    server_->Shutdown(std::chrono::system_clock::now());
  }
  void Release() {
    std::vector<grpc::ServerUnaryReactor*> h;
    {
      std::lock_guard<std::mutex> lock(mu);
      h.swap(held);
      hang = false;
    }
    for (auto* r : h) r->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "released"));
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  size_t Count() {
    std::lock_guard<std::mutex> lock(mu);
    return calls.size();
  }
  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(mu);
    return calls;
  }

  grpc::ServerUnaryReactor* PushMsg(grpc::CallbackServerContext* c,
                                    const goim::comet::PushMsgReq* req,
                                    goim::comet::PushMsgReply*) override {
    std::string keys;
    for (const auto& k : req->keys()) keys += k + ",";
    return Record(
        c, "push:" + keys + ":" + std::to_string(req->protoop()) + ":" + Bodies(req->proto()));
  }
  grpc::ServerUnaryReactor* Broadcast(grpc::CallbackServerContext* c,
                                      const goim::comet::BroadcastReq* req,
                                      goim::comet::BroadcastReply*) override {
    return Record(c, "all:" + std::to_string(req->protoop()) + ":" + std::to_string(req->speed()));
  }
  grpc::ServerUnaryReactor* BroadcastRoom(grpc::CallbackServerContext* c,
                                          const goim::comet::BroadcastRoomReq* req,
                                          goim::comet::BroadcastRoomReply*) override {
    std::string offsets;  // room history: ":@1,2,3#epoch" when job sent offsets
    for (int64_t o : req->offsets()) offsets += (offsets.empty() ? ":@" : ",") + std::to_string(o);
    if (!offsets.empty()) offsets += "#" + req->epoch();
    return Record(c, "room:" + req->roomid() + ":" + Bodies(req->proto()) + offsets);
  }
  grpc::ServerUnaryReactor* Rooms(grpc::CallbackServerContext* c, const goim::comet::RoomsReq*,
                                  goim::comet::RoomsReply* reply) override {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [room, n] : online) {
      (*reply->mutable_rooms())[room] = true;
      (*reply->mutable_online())[room] = n;
    }
    auto* r = c->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

 private:
  // The bodies of an OpRaw's frames, joined by '|'.
  static std::string Bodies(const goim::protocol::Proto& p) {
    EXPECT_EQ(p.op(), 9);
    EXPECT_EQ(p.ver(), 1);
    std::string out;
    const std::string& s = p.body();
    size_t at = 0;
    while (at + 16 <= s.size()) {
      protocol::Frame f;
      size_t used;
      if (protocol::DecodeFrame({reinterpret_cast<const uint8_t*>(s.data()) + at, s.size() - at},
                                &f, &used) != protocol::Error::kOk)
        break;
      out += (out.empty() ? "" : "|") + f.body;
      at += used;
    }
    return out;
  }
  grpc::ServerUnaryReactor* Record(grpc::CallbackServerContext* c, std::string what) {
    auto* r = c->DefaultReactor();
    std::lock_guard<std::mutex> lock(mu);
    if (hang) {
      held.push_back(r);
      return r;
    }
    if (fail_next > 0) {
      --fail_next;
      r->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "failing on purpose"));
      return r;
    }
    calls.push_back(std::move(what));
    r->Finish(grpc::Status::OK);
    return r;
  }
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// Records every commit the job makes on the embedded queue.
class RecordingConsumer : public queue::Consumer {
 public:
  explicit RecordingConsumer(std::unique_ptr<queue::Consumer> c) : c_(std::move(c)) {}
  void SetListener(Listener l) override { c_->SetListener(std::move(l)); }
  std::optional<queue::Message> Poll(int t) override { return c_->Poll(t); }
  void Commit(const std::vector<queue::PartitionOffset>& o) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& po : o) committed[po.partition] = po.offset;
    }
    c_->Commit(o);
  }
  void Pause() override { c_->Pause(); }
  void Resume() override { c_->Resume(); }
  void Close() override { c_->Close(); }
  int64_t Committed(int32_t p) {
    std::lock_guard<std::mutex> lock(mu);
    return committed.count(p) ? committed[p] : -1;
  }
  std::mutex mu;
  std::map<int32_t, int64_t> committed;

 private:
  std::unique_ptr<queue::Consumer> c_;
};

class JobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_.Start();
    b_.Start();
    queue_ = queue::Embedded::Create(4, 100000);
    producer_ = queue_->NewProducer();
    cfg_.comets.resize(2);
    cfg_.comets[0].hostname = "comet-a";
    cfg_.comets[0].grpc = a_.addr();
    cfg_.comets[1].hostname = "comet-b";
    cfg_.comets[1].grpc = b_.addr();
    cfg_.room.signal = 20ms;
    cfg_.room.adaptive = false;
    cfg_.comet.retryBackoff = 20ms;
    cfg_.comet.timeout = 500ms;
    cfg_.comet.failTimeout = 1500ms;
    cfg_.comet.roomsInterval = 50ms;
    cfg_.consumer.commitInterval = 20ms;
  }
  void StartJob(std::shared_ptr<history::Store> history = nullptr) {
    auto rec = std::make_unique<RecordingConsumer>(queue_->NewConsumer());
    consumer_ = rec.get();
    job_ = std::make_unique<Job>(cfg_, std::move(rec), clock_);
    if (history) job_->SetHistory(std::move(history), "embedded:test");
    job_->Start();
  }
  void TearDown() override {
    a_.Release();
    b_.Release();
    if (job_) job_->Stop();
    a_.Stop();
    b_.Stop();
  }
  void Produce(goim::logic::PushMsg::Type type, int32_t op, const std::string& msg,
               const std::string& server = "", const std::string& room = "",
               std::vector<std::string> keys = {}, int32_t speed = 0) {
    goim::logic::PushMsg m;
    m.set_type(type);
    m.set_operation(op);
    m.set_msg(msg);
    m.set_server(server);
    m.set_room(room);
    m.set_speed(speed);
    for (auto& k : keys) m.add_keys(k);
    std::string key = type == goim::logic::PushMsg::ROOM   ? room
                      : type == goim::logic::PushMsg::PUSH ? keys[0]
                                                           : std::to_string(op);
    std::string err = "unset";
    producer_->Produce(key, m.SerializeAsString(), [&](const std::string& e) { err = e; });
    ASSERT_EQ(err, "");
  }
  static bool Eventually(const std::function<bool()>& cond,
                         std::chrono::milliseconds timeout = 10s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  // The same, moving the job's clock by step before each poll: for what a timer finishes (a
  // commit, a comet marked down) when how much fake time it takes does not matter.
  bool Ticking(const std::function<bool()>& cond, time::Duration step) {
    return Eventually([&] { return clock_.Advance(step) && cond(); });
  }
  static double Metric(const std::string& name) { return metrics::Registry::Default().Get(name); }
  // Returns once the job's loop has finished what it was doing (UpComets runs on the loop): what
  // it dispatched or armed is then on the clock before the test moves it.
  void LoopBarrier() { job_->UpComets(); }

  time::FakeClock clock_;
  FakeComet a_, b_;
  std::shared_ptr<queue::Embedded> queue_;
  std::unique_ptr<queue::Producer> producer_;
  RecordingConsumer* consumer_ = nullptr;
  Config cfg_;
  std::unique_ptr<Job> job_;
};

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
}  // namespace goim::job
