// Fan-out: PushMsg, BroadcastRoom and Broadcast to 1,000 connections in order with no loss while
// clients keep up; a stalled client is dropped from and then closed while the others keep up.
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

class DeliveryTest : public CometFixture {};

TEST_F(DeliveryTest, ThousandConnectionsGetEveryPushInOrder) {
  const int n = 1000;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back("fan-" + std::to_string(i));
    // A quarter of them over WebSocket.
    clients.push_back(Authed(i % 4 == 0 ? Transport::kWs : Transport::kTcp, i, keys.back(),
                             "live://fan", {1000, 1001}));
    ASSERT_TRUE(clients.back());
  }
  // 20 room batches of 5 frames each, like job's OpRaw batches.
  const int batches = 20, per = 5;
  for (int b = 0; b < batches; ++b) {
    std::vector<std::string> bodies;
    for (int k = 0; k < per; ++k) bodies.push_back("r" + std::to_string(b * per + k));
    ASSERT_TRUE(Room("live://fan", Frames(1000, bodies)).ok());
  }
  ASSERT_TRUE(PushKeys(keys, 1001, "to-every-key").ok());
  ASSERT_TRUE(Broadcast(1000, "to-everyone").ok());
  for (int i = 0; i < n; ++i) {
    for (int m = 0; m < batches * per; ++m) {
      auto f = clients[i]->Read(10s);
      ASSERT_TRUE(f) << "client " << i << " message " << m;
      ASSERT_EQ(f->body, "r" + std::to_string(m)) << "client " << i;
      ASSERT_EQ(f->op, 1000);
    }
    auto key_push = clients[i]->Read(10s);
    ASSERT_TRUE(key_push);
    EXPECT_EQ(key_push->body, "to-every-key");
    auto all = clients[i]->Read(10s);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->body, "to-everyone");
  }
}

TEST_F(DeliveryTest, PacedBroadcastReachesEveryoneAtTheGivenSpeed) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(Authed(Transport::kTcp, i, "", "", {1000}));
  auto queued = [before = Metric("goim_comet_push_queued_total")] {
    return Metric("goim_comet_push_queued_total") - before;
  };
  ASSERT_TRUE(Broadcast(1000, "slowly", 200).ok());  // 200 deliveries a second
  // Pacing runs on the comet's clock, a little every 10 ms tick: time it from the first delivery.
  ASSERT_TRUE(Eventually([&] { return queued() > 0; }));
  auto took = time::Duration::zero();
  while (queued() < 100 && took < 10s) {
    ASSERT_TRUE(clock_.Advance(10ms));
    took += 10ms;
  }
  for (auto& c : clients) ASSERT_EQ(c->ReadBody(10s), "slowly");
  // 100 deliveries at 200/s take about half a second (goim would sleep whole seconds).
  EXPECT_GT(took, 300ms);
  EXPECT_LT(took, 3s);
}

class StalledTest : public CometFixture {
  void Customize(comet::Config& c) override {
    c.protocol.slowBytes = 16 * 1024;
    c.protocol.slowTime = std::chrono::milliseconds(500);
  }
};

TEST_F(StalledTest, AStalledClientIsClosedWhileTheOthersKeepReceiving) {
  double dropped = Metric("goim_comet_push_dropped_total"), slow = Closed("slow_consumer");
  logic_.heartbeat_ns = 3600LL * 1000000000;  // only the slow-consumer deadline may pass
  auto stalled = Authed(Transport::kTcp, 1, "stalled", "live://st");
  stalled->StopReading();
  std::vector<std::unique_ptr<Client>> readers;
  for (int i = 0; i < 10; ++i)
    readers.push_back(Authed(i % 2 ? Transport::kWs : Transport::kTcp, 10 + i, "", "live://st"));
  const std::string big(2000, 'z');
  int sent = 0;
  while (!stalled->closed() && sent < 2000) {
    std::string body = std::to_string(sent) + ":" + big;
    ASSERT_TRUE(Room("live://st", Frames(1000, {body})).ok());
    for (auto& r : readers) {
      auto f = r->Read(10s);
      ASSERT_TRUE(f) << "reader lost message " << sent;
      ASSERT_EQ(f->body.substr(0, f->body.find(':')), std::to_string(sent));
    }
    ++sent;
    // Poll the stalled socket for the close without reading its data.
    if (Closed("slow_consumer") > slow) break;
    ASSERT_TRUE(clock_.Advance(100ms));  // the slow-consumer timer runs on the comet's clock
  }
  EXPECT_EQ(Closed("slow_consumer"), slow + 1);
  EXPECT_GT(Metric("goim_comet_push_dropped_total"), dropped);
  // The readers keep going.
  ASSERT_TRUE(Room("live://st", Frames(1000, {"after"})).ok());
  for (auto& r : readers) EXPECT_EQ(r->ReadBody(), "after");
}

// Small pushes: a stalled client's queue holds at most svrProto of them, far below slowBytes, so
// only its full queue (every further push dropped) says it is behind; it is closed after slowTime
// all the same.
class SmallPushStalledTest : public CometFixture {
  void Customize(comet::Config& c) override {
    c.protocol.slowBytes = 1 << 20;  // never reached: svrProto (10) pushes of 1 KB are queued
    c.protocol.slowTime = std::chrono::milliseconds(300);
  }
};

TEST_F(SmallPushStalledTest, AClientWhoseQueueStaysFullIsClosed) {
  const double dropped = Metric("goim_comet_push_dropped_total");
  const double slow = Closed("slow_consumer");
  auto stalled = Authed(Transport::kTcp, 1, "stalled", "live://small");
  stalled->StopReading();
  auto reader = Authed(Transport::kWs, 2, "", "live://small");
  const std::string body(1000, 's');
  int sent = 0;
  auto push = [&] {
    ASSERT_TRUE(Room("live://small", Frames(1000, {std::to_string(sent) + body})).ok());
    auto f = reader->Read(10s);
    ASSERT_TRUE(f) << "reader lost message " << sent;
    ASSERT_EQ(f->body, std::to_string(sent) + body);
    ++sent;
  };
  // Fill the stalled client's socket buffers and then its queue: pushes start to drop for it.
  while (Metric("goim_comet_push_dropped_total") == dropped && sent < 100000) push();
  ASSERT_GT(Metric("goim_comet_push_dropped_total"), dropped) << sent << " pushes sent";
  // Within slowTime (300 ms of comet time) it is still connected, though its pushes drop.
  ASSERT_TRUE(clock_.Advance(200ms));
  push();
  EXPECT_EQ(Closed("slow_consumer"), slow);
  // Full for longer than slowTime: closed, and counted.
  ASSERT_TRUE(clock_.Advance(200ms));
  EXPECT_TRUE(Eventually([&] { return Closed("slow_consumer") == slow + 1; }))
      << sent << " pushes sent";
  // The reader, which kept up, is still served.
  ASSERT_TRUE(Room("live://small", Frames(1000, {"after"})).ok());
  EXPECT_EQ(reader->ReadBody(), "after");
  EXPECT_EQ(Closed("slow_consumer"), slow + 1);
}

}  // namespace
}  // namespace goim::testing
