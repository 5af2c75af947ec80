// The comet's half of the viewers' send path: a frame for logic carries the sender's key and
// room, and its echo carries logic's reply body (empty from goim's logic).
#include <gtest/gtest.h>

#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

class SendCometTest : public CometFixture {
 protected:
  void Customize(comet::Config& cfg) override {
    cfg.rpcClient.timeout = std::chrono::milliseconds(300);
  }
};

TEST_F(SendCometTest, ReceiveCarriesKeyAndRoomAndTheEchoCarriesLogicsBody) {
  const std::string refusal = R"({"code":-429,"message":"too many sends, slow down"})";
  for (Transport t : {Transport::kTcp, Transport::kWs}) {
    std::string key = "sender-" + std::to_string(int(t));
    auto c = Authed(t, 5, key, "live://s");
    ASSERT_TRUE(c);
    {
      std::lock_guard<std::mutex> lock(logic_.mu);
      logic_.receive_reply = refusal;
    }
    ASSERT_TRUE(c->Send(protocol::kOpSendMsg, 11, "hi"));
    auto f = c->ReadOp(protocol::kOpSendMsg);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->seq, 11);
    EXPECT_EQ(f->body, refusal);
    {
      std::lock_guard<std::mutex> lock(logic_.mu);
      logic_.receive_reply.clear();  // goim's logic: nothing
    }
    ASSERT_TRUE(c->Send(protocol::kOpChangeRoom, 12, "live://t"));
    ASSERT_TRUE(c->ReadOp(protocol::kOpChangeRoomReply));
    ASSERT_TRUE(c->Send(protocol::kOpSendMsg, 13, "hi again"));
    f = c->ReadOp(protocol::kOpSendMsg);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->seq, 13);
    EXPECT_EQ(f->body, "");
    std::lock_guard<std::mutex> lock(logic_.mu);
    ASSERT_GE(logic_.receive_senders.size(), 2u);
    auto n = logic_.receive_senders.size();
    EXPECT_EQ(logic_.receive_senders[n - 2], std::make_pair(key, std::string("live://s")));
    EXPECT_EQ(logic_.receive_senders[n - 1], std::make_pair(key, std::string("live://t")));
  }
}

// A Receive that fails (logic down or past rpcClient.timeout) is echoed with a -500 body, so a
// client never takes it for accepted (goim echoes an empty body all the same).
TEST_F(SendCometTest, AFailedReceiveIsNotEchoedAsAccepted) {
  auto c = Authed(Transport::kTcp, 5, "slow-logic", "live://s");
  ASSERT_TRUE(c);
  logic_.hold_receives = true;
  ASSERT_TRUE(c->Send(protocol::kOpSendMsg, 21, "lost"));
  auto f = c->ReadOp(protocol::kOpSendMsg);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 21);
  EXPECT_EQ(f->body, R"({"code":-500,"message":"logic unavailable"})");
  logic_.hold_receives = false;
  logic_.ReleaseHeld();
  EXPECT_TRUE(c->Heartbeat()) << "the connection goes on";
}

}  // namespace
}  // namespace goim::testing
