// A running comet (2 loops, loopback, port 0) against the in-process FakeLogic, with a
// goim.comet.Comet stub to play job, and helpers to make clients. The comet's timers run on a
// fake clock: deadlines pass only when a test moves clock_.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include "api/comet.grpc.pb.h"
#include "comet/server.h"
#include "pkg/metrics/metrics.h"
#include "pkg/protocol/frame.h"
#include "pkg/time/fake_clock.h"
#include "test/comet/fake_logic.h"
#include "test/support/goim_client.h"

namespace goim::testing {

class CometFixture : public ::testing::Test {
 protected:
  using Transport = Client::Transport;

  // Tests adjust the config before the comet starts.
  virtual void Customize(comet::Config&) {}

  void SetUp() override {
    logic_.Start();
    comet::Config cfg;
    cfg.env.host = "comet-test";
    cfg.tcp.bind = {"127.0.0.1:0"};
    cfg.websocket.bind = {"127.0.0.1:0"};
    cfg.rpcServer.addr = "127.0.0.1:0";
    cfg.rpcClient.logic = {logic_.addr()};
    cfg.metrics.addr = "";
    cfg.protocol.loops = 2;
    cfg.online.interval = std::chrono::milliseconds(100);
    Customize(cfg);
    server_ = std::make_unique<comet::Server>(cfg, clock_);
    server_->Start();
    stub_ = goim::comet::Comet::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Stop();
    logic_.Stop();
  }

  std::string Addr(Transport t) const {
    return "127.0.0.1:" +
           std::to_string(t == Transport::kTcp ? server_->tcp_port() : server_->ws_port());
  }
  std::unique_ptr<Client> Dial(Transport t) {
    std::string err;
    auto c = Client::Dial(Addr(t), t, &err);
    EXPECT_TRUE(c) << err;
    return c;
  }
  std::unique_ptr<Client> Authed(Transport t, int64_t mid, const std::string& key,
                                 const std::string& room,
                                 std::vector<int32_t> accepts = {1000, 1001, 1002}) {
    auto c = Dial(t);
    if (c) {
      EXPECT_TRUE(c->Auth(Token(mid, key, room, accepts))) << key;
    }
    return c;
  }

  static std::string Frames(int32_t op, const std::vector<std::string>& bodies) {
    std::string out;
    for (const auto& b : bodies) protocol::AppendFrame(&out, 1, op, 0, b);
    return out;
  }
  static void SetRaw(goim::protocol::Proto* p, const std::string& frames) {
    p->set_ver(1);
    p->set_op(protocol::kOpRaw);
    p->set_body(frames);
  }
  grpc::Status PushKeys(const std::vector<std::string>& keys, int32_t op, const std::string& body) {
    goim::comet::PushMsgReq req;
    for (const auto& k : keys) req.add_keys(k);
    req.set_protoop(op);
    SetRaw(req.mutable_proto(), Frames(op, {body}));
    goim::comet::PushMsgReply reply;
    grpc::ClientContext ctx;
    return stub_->PushMsg(&ctx, req, &reply);
  }
  grpc::Status Room(const std::string& room, const std::string& frames) {
    goim::comet::BroadcastRoomReq req;
    req.set_roomid(room);
    SetRaw(req.mutable_proto(), frames);
    goim::comet::BroadcastRoomReply reply;
    grpc::ClientContext ctx;
    return stub_->BroadcastRoom(&ctx, req, &reply);
  }
  grpc::Status Broadcast(int32_t op, const std::string& body, int32_t speed = 0) {
    goim::comet::BroadcastReq req;
    req.set_protoop(op);
    req.set_speed(speed);
    SetRaw(req.mutable_proto(), Frames(op, {body}));
    goim::comet::BroadcastReply reply;
    grpc::ClientContext ctx;
    return stub_->Broadcast(&ctx, req, &reply);
  }
  static double Metric(const std::string& name) { return metrics::Registry::Default().Get(name); }
  static double Closed(const char* reason) {
    return Metric(std::string("goim_comet_closed_total{reason=\"") + reason + "\"}");
  }
  // Polls cond every few milliseconds until it holds or timeout passes.
  static bool Eventually(const std::function<bool()>& cond,
                         std::chrono::milliseconds timeout = 5s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // The same, moving the fake clock by step before each poll: for what happens on a timer (the
  // online report, renewals) when how much fake time it takes does not matter.
  bool Ticking(const std::function<bool()>& cond, time::Duration step) {
    return Eventually([&] { return clock_.Advance(step) && cond(); }, 10s);
  }

  time::FakeClock clock_;
  FakeLogic logic_;
  std::unique_ptr<comet::Server> server_;
  std::unique_ptr<goim::comet::Comet::Stub> stub_;
};

}  // namespace goim::testing
