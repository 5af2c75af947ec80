// Unit tests of the comet's shared structures: buckets (key index, kick), the room index and a
// loop's room lists (join, leave, change, the goim #306 same-room cycle).
#include <map>

#include <gtest/gtest.h>

#include "comet/bucket.h"
#include "comet/channel.h"
#include "comet/loop.h"
#include "comet/room.h"

namespace goim::comet {
namespace {

TEST(Buckets, PutReturnsTheChannelToKickAndDelKeepsTheSuccessor) {
  Buckets b(32, 16);
  EXPECT_EQ(b.Put("k", 11), 0u);
  EXPECT_EQ(b.Put("k", 11), 0u);   // the same channel again: nothing to kick
  EXPECT_EQ(b.Put("k", 22), 11u);  // a new connection with the same key kicks the old one
  EXPECT_FALSE(b.Del("k", 11));    // the kicked channel closing must not unmap its successor
  EXPECT_EQ(b.Get("k"), 22u);
  EXPECT_TRUE(b.Del("k", 22));
  EXPECT_EQ(b.Get("k"), 0u);
  for (int i = 0; i < 100; ++i) b.Put("key" + std::to_string(i), static_cast<uint64_t>(i + 1));
  EXPECT_EQ(b.ChannelCount(), 100u);
  b.AddIp("1.1.1.1");
  b.AddIp("1.1.1.1");
  b.AddIp("2.2.2.2");
  EXPECT_EQ(b.IpCount(), 2u);
  b.DelIp("1.1.1.1");
  EXPECT_EQ(b.IpCount(), 2u);
  b.DelIp("1.1.1.1");
  EXPECT_EQ(b.IpCount(), 1u);
}

TEST(Buckets, ListsEachLiveSessionWithItsMid) {
  Buckets b(4, 4);
  b.Put("a", 1, 100);
  b.Put("b", 2, 0);
  b.Put("a", 3, 101);  // a new connection with key a (another mid) replaces the old one
  b.Put("c", 4, 102);
  b.Del("c", 4);
  std::map<std::string, int64_t> seen;
  b.ForEachSession([&](const std::string& key, int64_t mid) { seen[key] = mid; });
  EXPECT_EQ(seen, (std::map<std::string, int64_t>{{"a", 101}, {"b", 0}}));
}

TEST(LogicRenewal, RangeEndsOneHeartbeatDeadlineBeforeMax) {
  using std::chrono::minutes;
  auto d = [](auto x) { return std::chrono::duration_cast<time::Duration>(x); };
  // goim's defaults: 10-30 min, client heartbeat deadline 4 min x 2: renewals drawn from 10-22 min
  // land by 30 min at the latest, inside router's 30 min TTL.
  EXPECT_EQ(LogicRenewalRange(d(minutes(10)), d(minutes(30)), d(minutes(8))),
            std::make_pair(d(minutes(10)), d(minutes(22))));
  // A deadline longer than the spread: renew at min.
  EXPECT_EQ(LogicRenewalRange(d(minutes(10)), d(minutes(12)), d(minutes(8))),
            std::make_pair(d(minutes(10)), d(minutes(10))));
}

TEST(RoomIndex, CountsLoopsAndClusterCounts) {
  RoomIndex idx;
  RoomStats* a0 = idx.Acquire("live://1", 0);
  RoomStats* a1 = idx.Acquire("live://1", 1);
  EXPECT_EQ(a0, a1);
  EXPECT_EQ(idx.Loops("live://1"), 3u);
  a0->online += 3;
  EXPECT_EQ(a0->OnlineNum(), 3);  // local until logic sends the cluster-wide count
  idx.SetAllOnline({{"live://1", 40}});
  EXPECT_EQ(a0->OnlineNum(), 40);
  EXPECT_EQ(idx.Counts().at("live://1"), 3);
  idx.Release(a0, 0);
  EXPECT_EQ(idx.Loops("live://1"), 2u);
  idx.Release(a1, 1);
  EXPECT_EQ(idx.Loops("live://1"), 0u);
  EXPECT_EQ(idx.size(), 0u);
}

class LoopRooms : public ::testing::Test {
 protected:
  LoopRooms() : ctx(Config{}), loop(0, io, ctx) { ctx.loops.push_back(&loop); }
  Channel* NewChannel() {
    auto* ch = new Channel(&loop, Transport::kTcp, tcp::socket(io), nullptr);
    loop.Add(ch);
    return ch;
  }
  std::vector<Channel*> Members(const std::string& room) {
    std::vector<Channel*> out;
    Room* r = loop.FindRoom(room);
    for (Channel* c = r ? r->head : nullptr; c; c = c->room_next) out.push_back(c);
    return out;
  }
  asio::io_context io;
  Context ctx;
  Loop loop;
};

TEST_F(LoopRooms, JoinLeaveChangeAndSameRoom) {
  Channel* a = NewChannel();
  Channel* b = NewChannel();
  Channel* c = NewChannel();
  loop.Join(a, "live://1");
  loop.Join(b, "live://1");
  loop.Join(c, "live://2");
  EXPECT_EQ(Members("live://1").size(), 2u);
  EXPECT_EQ(ctx.rooms.Counts().at("live://1"), 2);
  // goim #306: changing to the room one is already in must not create a cycle.
  loop.Join(a, "live://1");
  loop.Join(a, "live://1");
  EXPECT_EQ(Members("live://1").size(), 2u);
  loop.Join(a, "live://2");
  EXPECT_EQ(Members("live://1"), std::vector<Channel*>{b});
  EXPECT_EQ(Members("live://2").size(), 2u);
  loop.Join(b, "");                               // "" leaves
  EXPECT_EQ(loop.FindRoom("live://1"), nullptr);  // an empty room is released
  EXPECT_EQ(ctx.rooms.Loops("live://1"), 0u);
  loop.Leave(c);
  loop.Leave(c);
  EXPECT_EQ(Members("live://2"), std::vector<Channel*>{a});
  EXPECT_EQ(ctx.rooms.Counts().at("live://2"), 1);
  // Ids carry a generation: a freed slot's old id no longer resolves.
  uint64_t id = b->id();
  EXPECT_EQ(loop.Resolve(id), b);
  loop.Remove(b);
  delete b;
  Channel* d = NewChannel();
  EXPECT_EQ(d->id() & 0xFFFFFFFF, id & 0xFFFFFFFF);
  EXPECT_EQ(loop.Resolve(id), nullptr);
  EXPECT_EQ(loop.Resolve(d->id()), d);
}

}  // namespace
}  // namespace goim::comet
