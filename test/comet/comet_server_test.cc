// The comet over loopback, as goim clients and goim's job see it.
#include <set>

#include "comet/stats.h"
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

class CometTest : public CometFixture {};

TEST_F(CometTest, AuthReplyAndHeartbeatOnlineCountOnBothTransports) {
  std::vector<std::unique_ptr<Client>> kept;
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    kept.push_back(Dial(t));
    Client* c = kept.back().get();
    ASSERT_TRUE(c->Send(protocol::kOpAuth, 42, Token(1, "", "live://hb", {1000})));
    auto reply = c->Read();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->op, protocol::kOpAuthReply);
    EXPECT_EQ(reply->seq, 42);  // seq echoed
    EXPECT_TRUE(reply->body.empty());
    if (t == Transport::kWs) {
      EXPECT_EQ(c->last_ws_op(), protocol::kOpAuthReply);  // replies are bare frames
    }
    auto online = c->Heartbeat(7);
    ASSERT_TRUE(online);
    EXPECT_EQ(*online, t == Transport::kTcp ? 1 : 2);  // this comet's count for the room
  }
  // Once logic reports the cluster-wide count, heartbeats carry it.
  {
    std::lock_guard<std::mutex> lock(logic_.mu);
    logic_.all_room_count["live://hb"] = 77;
  }
  auto c = Authed(Transport::kTcp, 3, "k3", "live://hb");
  EXPECT_TRUE(Ticking([&] { return c->Heartbeat() == 77; }, 100ms));
  // Not in a room: 0.
  auto lone = Authed(Transport::kTcp, 4, "k4", "");
  EXPECT_EQ(lone->Heartbeat(), 0);
  // The comet reports its rooms to logic.
  EXPECT_TRUE(Ticking(
      [&] {
        std::lock_guard<std::mutex> lock(logic_.mu);
        return !logic_.reports.empty() && logic_.reports.back().roomcount().count("live://hb") &&
               logic_.reports.back().roomcount().at("live://hb") == 3 &&
               logic_.reports.back().conncount() == 4 &&
               logic_.reports.back().server() == "comet-test";
      },
      100ms));
}

TEST_F(CometTest, WebsocketPassesTheCookieAndTcpAnEmptyOne) {
  int status = 0;
  auto ws = Client::Dial(Addr(Transport::kWs), Transport::kWs, nullptr, "/sub", &status,
                         "Cookie: sid=abc\r\n");
  ASSERT_TRUE(ws);
  ASSERT_TRUE(ws->Auth(Token(1, "cookie-key", "", {})));
  auto tcp = Authed(Transport::kTcp, 2, "tcp-key", "");
  std::lock_guard<std::mutex> lock(logic_.mu);
  EXPECT_NE(
      std::find(logic_.connects.begin(), logic_.connects.end(), "cookie-key|comet-test|sid=abc"),
      logic_.connects.end());
  EXPECT_NE(std::find(logic_.connects.begin(), logic_.connects.end(), "tcp-key|comet-test|"),
            logic_.connects.end());
}

// A WebSocket client may send its auth frame in the same packet as the upgrade request; while
// logic answers, the connection must not hold a pooled read buffer (a connect storm would keep
// one per connection).
TEST_F(CometTest, NoReadBufferIsHeldWhileAuthIsPendingOnAPipelinedWebsocketAuth) {
  auto* held = comet::Stats::Get().read_buffers;
  ASSERT_EQ(held->Value(), 0);
  logic_.hold_connects = true;
  std::string err;
  auto c =
      Client::Dial(Addr(Transport::kWs), Transport::kTcp, &err);  // a plain socket to the WS port
  ASSERT_TRUE(c) << err;
  std::string auth;
  protocol::AppendFrame(&auth, 1, protocol::kOpAuth, 1, Token(5, "pipelined", "live://1", {}));
  std::string bytes =
      "GET /sub HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
      WsFrame(auth);
  ASSERT_TRUE(c->SendRaw(bytes));
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(logic_.mu);
    return logic_.held.size() == 1;
  }));
  EXPECT_EQ(held->Value(), 0) << "a read buffer is held through auth";
  logic_.ReleaseHeld();
  EXPECT_TRUE(Eventually([&] { return logic_.Count(logic_.connects) == 1; }));
  EXPECT_EQ(held->Value(), 0);
}

TEST_F(CometTest, UnknownOpIsEchoedWithAnEmptyBodyAndForwardedToLogic) {
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    auto c = Authed(t, 9, "", "");
    ASSERT_TRUE(c->Send(protocol::kOpSendMsg, 5, "hello logic"));
    auto f = c->ReadOp(protocol::kOpSendMsg);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->seq, 5);
    EXPECT_TRUE(f->body.empty());
    ASSERT_TRUE(c->Send(4242, 6, "x"));
    EXPECT_EQ(c->ReadOp(4242).value_or(testing::Frame{0, 0, -1, ""}).seq, 6);
  }
  // Each is its own async call, so logic may see them in any order.
  using Got = std::multiset<std::pair<int64_t, int32_t>>;
  const Got want{{9, 4}, {9, 4}, {9, 4242}, {9, 4242}};
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(logic_.mu);
    return Got(logic_.receives.begin(), logic_.receives.end()) == want;
  }));
}

// As goim: a frame for logic is answered once logic answered, and the connection's next frames
// wait meanwhile, so logic sees one connection's frames in the order sent.
TEST_F(CometTest, FramesForLogicReachItInOrderAndAreEchoedAfterIt) {
  auto c = Authed(Transport::kTcp, 9, "in-order", "");
  logic_.hold_receives = true;
  std::string pipelined;
  for (int i = 1; i <= 3; ++i) {
    std::string body = "m" + std::to_string(i);
    std::string head(16, '\0');
    protocol::EncodeHeader(reinterpret_cast<uint8_t*>(head.data()),
                           static_cast<int32_t>(16 + body.size()), 1, protocol::kOpSendMsg, i);
    pipelined += head + body;
  }
  ASSERT_TRUE(c->SendRaw(pipelined));
  EXPECT_TRUE(Eventually([&] { return logic_.Count(logic_.receive_bodies) == 1; }));
  // A push queued now goes out behind anything the comet queued for the client before it.
  ASSERT_TRUE(PushKeys({"in-order"}, 1000, "marker").ok());
  auto first = c->Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "marker") << "echoed before logic answered";
  EXPECT_EQ(logic_.Count(logic_.receive_bodies), 1u)
      << "the next frame went to logic before the first was answered";
  logic_.hold_receives = false;
  logic_.ReleaseHeld();
  for (int i = 1; i <= 3; ++i) {
    auto f = c->ReadOp(protocol::kOpSendMsg);
    ASSERT_TRUE(f) << "echo " << i;
    EXPECT_EQ(f->seq, i);
  }
  std::lock_guard<std::mutex> lock(logic_.mu);
  EXPECT_EQ(logic_.receive_bodies, (std::vector<std::string>{"m1", "m2", "m3"}));
}

TEST_F(CometTest, ChangeRoomMovesDelivery) {
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    std::string a = "live://a" + std::to_string(int(t)), b = "live://b" + std::to_string(int(t));
    auto c = Authed(t, 1, "", a);
    ASSERT_TRUE(Room(a, Frames(1000, {"in-a"})).ok());
    EXPECT_EQ(c->ReadOpBody(1000), "in-a");
    ASSERT_TRUE(c->Send(protocol::kOpChangeRoom, 3, b));
    auto reply = c->ReadOp(protocol::kOpChangeRoomReply);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, b);  // the body is echoed
    ASSERT_TRUE(Room(a, Frames(1000, {"not-for-you"})).ok());
    ASSERT_TRUE(Room(b, Frames(1000, {"in-b"})).ok());
    EXPECT_EQ(c->ReadOpBody(1000), "in-b");
    // Changing to the room it is in changes nothing (goim #306) and keeps delivering once.
    ASSERT_TRUE(c->Send(protocol::kOpChangeRoom, 4, b));
    ASSERT_TRUE(c->ReadOp(protocol::kOpChangeRoomReply));
    ASSERT_TRUE(Room(b, Frames(1000, {"once"})).ok());
    ASSERT_TRUE(Room(b, Frames(1000, {"twice"})).ok());
    EXPECT_EQ(c->ReadOpBody(1000), "once");
    EXPECT_EQ(c->ReadOpBody(1000), "twice");
  }
}

TEST_F(CometTest, SubAndUnsubFilterKeyPushesAndBroadcastsButNotRooms) {
  auto c = Authed(Transport::kTcp, 1, "subkey", "live://sub", {1000});
  ASSERT_TRUE(PushKeys({"subkey"}, 1001, "filtered").ok());
  ASSERT_TRUE(PushKeys({"subkey"}, 1000, "first").ok());
  EXPECT_EQ(c->ReadBody(), "first");  // 1001 was not watched
  ASSERT_TRUE(c->Send(protocol::kOpSub, 8, "1001,1002"));
  auto sub = c->ReadOp(protocol::kOpSubReply);
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->body, "1001,1002");
  ASSERT_TRUE(PushKeys({"subkey"}, 1001, "now-watched").ok());
  EXPECT_EQ(c->ReadBody(), "now-watched");
  ASSERT_TRUE(c->Send(protocol::kOpUnsub, 9, "1000"));
  EXPECT_EQ(c->ReadOpBody(protocol::kOpUnsubReply), "1000");
  ASSERT_TRUE(PushKeys({"subkey"}, 1000, "unwatched").ok());
  ASSERT_TRUE(Broadcast(1000, "unwatched-broadcast").ok());
  ASSERT_TRUE(Broadcast(1002, "broadcast").ok());
  EXPECT_EQ(c->ReadBody(), "broadcast");
  // Room pushes ignore the watch list, as goim.
  ASSERT_TRUE(Room("live://sub", Frames(5555, {"room"})).ok());
  EXPECT_EQ(c->ReadBody(), "room");
  // A body that does not parse changes nothing (goim ignores it) but is still answered.
  ASSERT_TRUE(c->Send(protocol::kOpSub, 10, "1000,x"));
  EXPECT_EQ(c->ReadOpBody(protocol::kOpSubReply), "1000,x");
  ASSERT_TRUE(PushKeys({"subkey"}, 1000, "still-unwatched").ok());
  ASSERT_TRUE(PushKeys({"subkey"}, 1001, "last").ok());
  EXPECT_EQ(c->ReadBody(), "last");
}

TEST_F(CometTest, WebsocketPushesArriveAsOpRawAndPipelinedOnesShareAMessage) {
  auto ws = Authed(Transport::kWs, 1, "wskey", "live://ws");
  int before = ws->ws_messages();
  ASSERT_TRUE(Room("live://ws", Frames(1000, {"a", "b", "c"})).ok());
  for (const char* want : {"a", "b", "c"}) EXPECT_EQ(ws->ReadBody(), want);
  EXPECT_EQ(ws->last_ws_op(), protocol::kOpRaw);
  EXPECT_EQ(ws->ws_messages(), before + 1);  // one OpRaw message carried the three frames
}

TEST_F(CometTest, SameKeyReconnectKicksTheOldConnection) {
  auto old_conn = Authed(Transport::kTcp, 1, "dup", "live://k");
  auto new_conn = Authed(Transport::kWs, 1, "dup", "live://k");
  EXPECT_TRUE(old_conn->WaitClosed());
  ASSERT_TRUE(PushKeys({"dup"}, 1000, "to-the-new-one").ok());
  EXPECT_EQ(new_conn->ReadBody(), "to-the-new-one");
  EXPECT_GE(Closed("kicked"), 1);
  // ... and does not tell logic to drop the session, which the new connection owns now.
  {
    std::lock_guard<std::mutex> lock(logic_.mu);
    EXPECT_EQ(std::count(logic_.disconnects.begin(), logic_.disconnects.end(), "dup"), 0);
  }
  // The kicked channel's disconnect does not unmap the key: pushes still find the new one.
  ASSERT_TRUE(PushKeys({"dup"}, 1000, "again").ok());
  EXPECT_EQ(new_conn->ReadBody(), "again");
}

TEST_F(CometTest, DisconnectIsReportedAndRoomsRpcListsRooms) {
  auto a = Authed(Transport::kTcp, 1, "ra", "live://r1");
  auto b = Authed(Transport::kTcp, 2, "rb", "live://r1");
  auto c = Authed(Transport::kWs, 3, "rc", "live://r2");
  goim::comet::RoomsReply rooms;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->Rooms(&ctx, goim::comet::RoomsReq(), &rooms).ok());
  EXPECT_TRUE(rooms.rooms().at("live://r1"));
  EXPECT_EQ(rooms.online().at("live://r1"), 2);
  EXPECT_EQ(rooms.online().at("live://r2"), 1);
  a.reset();
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(logic_.mu);
    return std::find(logic_.disconnects.begin(), logic_.disconnects.end(), "ra") !=
           logic_.disconnects.end();
  }));
}

// A room name with bytes that are not UTF-8 would make protobuf refuse the whole online report
// (and Rooms reply) of this comet, every room's count with it: it joins as U+FFFD instead.
TEST_F(CometTest, AChangeRoomToInvalidUtf8DoesNotBreakTheOnlineReport) {
  auto good = Authed(Transport::kTcp, 1, "u1", "live://ok");
  auto odd = Authed(Transport::kWs, 2, "u2", "live://ok");
  ASSERT_TRUE(odd->Send(protocol::kOpChangeRoom, 5, "live://\xFF\xFE"));
  ASSERT_TRUE(odd->ReadOp(protocol::kOpChangeRoomReply));
  const std::string fixed = "live://\xEF\xBF\xBD\xEF\xBF\xBD";
  EXPECT_TRUE(Ticking(
      [&] {
        std::lock_guard<std::mutex> lock(logic_.mu);
        if (logic_.reports.empty()) return false;
        const auto& counts = logic_.reports.back().roomcount();
        return counts.count("live://ok") && counts.at("live://ok") == 1 && counts.count(fixed) &&
               counts.at(fixed) == 1;
      },
      100ms));
  goim::comet::RoomsReply rooms;
  grpc::ClientContext ctx;
  ASSERT_TRUE(stub_->Rooms(&ctx, goim::comet::RoomsReq(), &rooms).ok());
  EXPECT_TRUE(rooms.rooms().count(fixed));
}

TEST_F(CometTest, InvalidRpcArgumentsAreRefused) {
  goim::comet::PushMsgReq req;
  goim::comet::PushMsgReply reply;
  grpc::ClientContext ctx;
  EXPECT_EQ(stub_->PushMsg(&ctx, req, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  goim::comet::BroadcastRoomReq room;
  goim::comet::BroadcastRoomReply room_reply;
  grpc::ClientContext ctx2;
  EXPECT_EQ(stub_->BroadcastRoom(&ctx2, room, &room_reply).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CometTest, ShutdownDisconnectsEveryClientFromLogic) {
  auto a = Authed(Transport::kTcp, 1, "s1", "live://s");
  auto b = Authed(Transport::kWs, 2, "s2", "");
  server_->Stop();
  // Stop waited for the Disconnect calls it made (none is left to call back into a destroyed
  // client).
  EXPECT_TRUE(server_->ctx().logic->WaitIdle(std::chrono::milliseconds(0)));
  EXPECT_TRUE(a->WaitClosed());
  EXPECT_TRUE(b->WaitClosed());
  std::lock_guard<std::mutex> lock(logic_.mu);
  EXPECT_EQ(logic_.disconnects.size(), 2u);
}

class TimeoutTest : public CometFixture {
  void Customize(comet::Config& c) override {
    c.protocol.handshakeTimeout = std::chrono::milliseconds(300);
  }
};

TEST_F(TimeoutTest, HandshakeAndHeartbeatDeadlines) {
  double hs = Closed("handshake_timeout"), hb = Closed("heartbeat_timeout");
  auto idle = Dial(Transport::kTcp);
  auto idle_ws = Dial(Transport::kWs);
  EXPECT_TRUE(Ticking([&] { return Closed("handshake_timeout") == hs + 2; }, 100ms));
  EXPECT_TRUE(idle->WaitClosed());
  EXPECT_TRUE(idle_ws->WaitClosed());
  EXPECT_EQ(Closed("handshake_timeout"), hs + 2);

  logic_.heartbeat_ns = 400LL * 1000000;  // logic says: 400 ms without a heartbeat closes
  auto quiet = Authed(Transport::kTcp, 1, "quiet", "");
  auto alive = Authed(Transport::kTcp, 2, "alive", "");
  // 1.2 s of the comet's time in 100 ms steps, a heartbeat in each.
  for (int step = 0; step < 12; ++step) {
    ASSERT_TRUE(alive->Heartbeat()) << "a heartbeating client must stay open";
    ASSERT_TRUE(clock_.Advance(100ms));
  }
  EXPECT_TRUE(quiet->WaitClosed());
  EXPECT_FALSE(alive->closed());
  EXPECT_EQ(Closed("heartbeat_timeout"), hb + 1);
}

class LogicHeartbeatTest : public CometFixture {
  void Customize(comet::Config& c) override {
    c.protocol.logicHeartbeatMin = std::chrono::milliseconds(50);
    c.protocol.logicHeartbeatMax = std::chrono::milliseconds(60);
  }
};

TEST_F(LogicHeartbeatTest, HeartbeatsRenewTheSessionAtTheServerInterval) {
  auto c = Authed(Transport::kTcp, 1, "renew", "");
  EXPECT_TRUE(Ticking(
      [&] {
        c->Heartbeat();
        std::lock_guard<std::mutex> lock(logic_.mu);
        return logic_.heartbeats.size() >= 2;
      },
      20ms));
}

}  // namespace
}  // namespace goim::testing
