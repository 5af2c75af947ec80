// net::UnaryCall, net::Join and net::InFlight against a tiny in-process goim.comet.Comet server
// on 127.0.0.1: replies, deadline expiry, a fan-out join of calls with mixed outcomes, and
// waiting until no call is in flight.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include "api/comet.grpc.pb.h"
#include "pkg/net/grpc_call.h"
#include "pkg/net/grpc_status.h"
#include "pkg/net/join.h"

namespace goim::net {
namespace {

using namespace std::chrono_literals;
using Async = class goim::comet::Comet::Stub::async;
using goim::comet::PushMsgReply;
using goim::comet::PushMsgReq;

// PushMsg answers by its first key: "ok" OK, "fail" UNAVAILABLE, "hold" not until Release().
class TinyComet final : public goim::comet::Comet::CallbackService {
 public:
  TinyComet() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~TinyComet() override {
    Release();
    server_->Shutdown(std::chrono::system_clock::now());
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // Waits until the server holds n calls.
  bool WaitHeld(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return held_cv_.wait_for(lock, 10s, [&] { return held_.size() >= n; });
  }
  void Release() {
    std::vector<grpc::ServerUnaryReactor*> h;
    {
      std::lock_guard<std::mutex> lock(mu_);
      h.swap(held_);
    }
    for (auto* r : h) r->Finish(grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* PushMsg(grpc::CallbackServerContext* ctx, const PushMsgReq* req,
                                    PushMsgReply*) override {
    auto* r = ctx->DefaultReactor();
    const std::string what = req->keys_size() ? req->keys(0) : "";
    if (what == "hold") {
      std::lock_guard<std::mutex> lock(mu_);
      held_.push_back(r);
      held_cv_.notify_all();
      return r;
    }
    r->Finish(what == "fail" ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "failing on purpose")
                             : grpc::Status::OK);
    return r;
  }
  grpc::ServerUnaryReactor* Rooms(grpc::CallbackServerContext* ctx, const goim::comet::RoomsReq*,
                                  goim::comet::RoomsReply* reply) override {
    (*reply->mutable_online())["live://1"] = 42;
    auto* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mu_;
  std::condition_variable held_cv_;
  std::vector<grpc::ServerUnaryReactor*> held_;
};

class GrpcCallTest : public ::testing::Test {
 protected:
  std::unique_ptr<goim::comet::Comet::Stub> Stub(const std::string& addr) {
    return goim::comet::Comet::NewStub(
        grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  }
  static PushMsgReq Push(const std::string& what) {
    PushMsgReq req;
    req.add_keys(what);
    return req;
  }

  TinyComet server_;
  std::unique_ptr<goim::comet::Comet::Stub> stub_ = Stub(server_.addr());
  InFlight calls_;
};

TEST_F(GrpcCallTest, ReplyReachesDoneAndTheCallEndsAfterIt) {
  std::promise<std::pair<grpc::StatusCode, int32_t>> got;
  UnaryCall(stub_->async(), &Async::Rooms, goim::comet::RoomsReq(), {5s, true, &calls_},
            [&](const grpc::Status& st, goim::comet::RoomsReply& reply) {
              got.set_value({st.error_code(), reply.online().at("live://1")});
            });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), std::make_pair(grpc::StatusCode::OK, 42));
  EXPECT_TRUE(calls_.WaitIdle(10s));
}

TEST_F(GrpcCallTest, DeadlineExpires) {
  std::promise<grpc::StatusCode> got;
  UnaryCall(stub_->async(), &Async::PushMsg, Push("hold"), {100ms, true, &calls_},
            [&](const grpc::Status& st, PushMsgReply&) { got.set_value(st.error_code()); });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(calls_.WaitIdle(10s));
}

TEST_F(GrpcCallTest, WaitForReadyWaitsForTheDeadlineAndWithoutItFailsAtOnce) {
  auto nobody = Stub("127.0.0.1:1");  // nothing listens there
  for (bool wait : {true, false}) {
    std::promise<grpc::StatusCode> got;
    UnaryCall(nobody->async(), &Async::PushMsg, Push("ok"), {300ms, wait, &calls_},
              [&](const grpc::Status& st, PushMsgReply&) { got.set_value(st.error_code()); });
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(f.get(), wait ? grpc::StatusCode::DEADLINE_EXCEEDED : grpc::StatusCode::UNAVAILABLE);
  }
  EXPECT_TRUE(calls_.WaitIdle(10s));
}

// Five calls, one request shared by three of them: done runs once, after the last, with the
// first error and what the successful ones collected.
TEST_F(GrpcCallTest, JoinOfCallsWithMixedOutcomes) {
  std::promise<std::pair<std::string, int>> got;
  std::atomic<int> dones{0};
  auto join = Join<int>::Make(5, [&](const std::string& err, int ok) {
    ++dones;
    got.set_value({err, ok});
  });
  auto report = [join](const grpc::Status& st, PushMsgReply&) {
    join->Report(st.ok() ? "" : st.error_message(), [](int& ok) { ++ok; });
  };
  auto shared = std::make_shared<const PushMsgReq>(Push("ok"));
  for (int i = 0; i < 3; ++i)
    UnaryCall(stub_->async(), &Async::PushMsg, shared, {5s, true, &calls_}, report);
  shared.reset();  // each call keeps the request alive
  UnaryCall(stub_->async(), &Async::PushMsg, Push("fail"), {5s, true, &calls_}, report);
  UnaryCall(stub_->async(), &Async::PushMsg, Push("hold"), {100ms, true, &calls_}, report);
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto [err, ok] = f.get();
  EXPECT_EQ(ok, 3);
  EXPECT_TRUE(err == "failing on purpose" || err == "Deadline Exceeded") << err;
  EXPECT_TRUE(calls_.WaitIdle(10s));
  EXPECT_EQ(dones.load(), 1);
}

TEST(StatusText, NamesTheCodeThenTheMessage) {
  EXPECT_EQ(StatusText(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no route")),
            "UNAVAILABLE: no route");
  EXPECT_EQ(StatusText(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "")), "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusText(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "x")), "UNAUTHENTICATED: x");
}

TEST(Join, OfNothingIsDoneAtOnce) {
  bool done = false;
  Join<int>::Make(0, [&](const std::string& err, int r) { done = err.empty() && r == 0; });
  EXPECT_TRUE(done);
}

// WaitIdle returns only once every done has returned, so a waiter can free what they use.
TEST_F(GrpcCallTest, WaitIdleWaitsForEveryDone) {
  std::atomic<int> dones{0};
  for (int i = 0; i < 3; ++i) {
    UnaryCall(stub_->async(), &Async::PushMsg, Push("hold"), {30s, true, &calls_},
              [&](const grpc::Status& st, PushMsgReply&) {
                EXPECT_TRUE(st.ok());
                ++dones;
              });
  }
  ASSERT_EQ(calls_.count(), 3);
  ASSERT_TRUE(server_.WaitHeld(3));
  EXPECT_FALSE(calls_.WaitIdle(50ms));
  EXPECT_EQ(dones.load(), 0);
  server_.Release();
  EXPECT_TRUE(calls_.WaitIdle(10s));
  EXPECT_EQ(dones.load(), 3);
  EXPECT_EQ(calls_.count(), 0);
}

}  // namespace
}  // namespace goim::net
