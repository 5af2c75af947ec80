// Watched ops (the auth's accepts, OpSub / OpUnsub) are capped per connection at
// protocol.maxWatchOps (default 256; goim has no cap): ops beyond it are ignored and counted,
// the connection stays open and its OpSub is still answered.
#include "test/comet/comet_fixture.h"

namespace goim::testing {
namespace {

class WatchOpsTest : public CometFixture {
 protected:
  // op is watched when a PushMsg with it arrives before the marker behind it.
  bool Watches(Client& c, const std::string& key, int32_t op) {
    EXPECT_TRUE(PushKeys({key}, op, "op " + std::to_string(op)).ok());
    EXPECT_TRUE(PushKeys({key}, 1, "marker").ok());
    auto f = c.Read();
    if (!f) return false;
    if (f->body == "marker") return false;
    EXPECT_EQ(f->body, "op " + std::to_string(op));
    EXPECT_EQ(c.ReadBody(), "marker");
    return true;
  }
  static std::string Ops(int32_t from, int32_t to) {
    std::string s;
    for (int32_t op = from; op < to; ++op) s += (s.empty() ? "" : ",") + std::to_string(op);
    return s;
  }
  static double Refused() { return Metric("goim_comet_watch_ops_refused_total"); }
};

TEST_F(WatchOpsTest, SubscriptionsBeyondTheCapAreIgnoredAndCounted) {
  double refused = Refused();
  auto c = Authed(Transport::kTcp, 1, "many", "live://ops", {1});  // op 1: the marker
  // 300 ops in one OpSub: 255 fit beside op 1.
  const std::string body = Ops(3000, 3300);
  ASSERT_TRUE(c->Send(protocol::kOpSub, 2, body));
  EXPECT_EQ(c->ReadOpBody(protocol::kOpSubReply), body);  // answered as goim does
  EXPECT_EQ(Refused(), refused + 45);
  EXPECT_TRUE(Watches(*c, "many", 3000));
  EXPECT_TRUE(Watches(*c, "many", 3254));
  EXPECT_FALSE(Watches(*c, "many", 3255));
  EXPECT_FALSE(Watches(*c, "many", 3299));
  // Unsubscribing makes room again; an op already watched takes none.
  ASSERT_TRUE(c->Send(protocol::kOpUnsub, 3, "3000,3001"));
  EXPECT_EQ(c->ReadOpBody(protocol::kOpUnsubReply), "3000,3001");
  ASSERT_TRUE(c->Send(protocol::kOpSub, 4, "3254,3298,3299,3297"));
  EXPECT_EQ(c->ReadOpBody(protocol::kOpSubReply), "3254,3298,3299,3297");
  EXPECT_EQ(Refused(), refused + 46);  // 3297 did not fit
  EXPECT_TRUE(Watches(*c, "many", 3298));
  EXPECT_TRUE(Watches(*c, "many", 3299));
  EXPECT_FALSE(Watches(*c, "many", 3297));
  EXPECT_FALSE(Watches(*c, "many", 3000));
}

TEST_F(WatchOpsTest, AuthAcceptsBeyondTheCapAreIgnoredInTheOrderGiven) {
  double refused = Refused();
  std::vector<int32_t> accepts{1};
  for (int32_t op = 4299; op >= 4000; --op) accepts.push_back(op);  // descending
  auto c = Authed(Transport::kWs, 1, "accepts", "live://ops", accepts);
  ASSERT_TRUE(c);
  EXPECT_EQ(Refused(), refused + 45);
  EXPECT_TRUE(Watches(*c, "accepts", 4299));
  EXPECT_TRUE(Watches(*c, "accepts", 4045));
  EXPECT_FALSE(Watches(*c, "accepts", 4044));
  EXPECT_FALSE(Watches(*c, "accepts", 4000));
}

}  // namespace
}  // namespace goim::testing
