// The job tests' fixture (job_test.cc, job_failure_test.cc): the job against real in-process
// gRPC comets, fed by the embedded queue. The job's timers (batch windows, commits, retries,
// probes, Rooms polls) run on a fake clock that only the tests move; the gRPC deadlines alone are
// real.
#pragma once

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

namespace goim::job::jobtest {

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

}  // namespace goim::job::jobtest
