// comet::WriteQueue: order across the wrap-around, push and byte counts, slots held only while
// something is queued.
#include <gtest/gtest.h>

#include "comet/write_queue.h"

namespace goim::comet {
namespace {

TEST(WriteQueue, KeepsOrderAndCountsAcrossTheWrapAround) {
  auto data = std::make_shared<PushData>();
  data->frames = std::string(100, 'p');
  LoopMsg msg{data, 0};
  Reply replies[3];
  for (int i = 0; i < 3; ++i) {
    replies[i].head_len = 16;
    replies[i].body = std::string(static_cast<size_t>(i), 'r');
  }
  WriteQueue q(4);
  EXPECT_FALSE(q.allocated());
  // Several rounds through the 4 slots, each leaving the queue in a different place.
  for (int round = 0; round < 5; ++round) {
    q.Add({&msg, nullptr});
    q.Add({nullptr, &replies[0]});
    q.Add({nullptr, &replies[2]});
    ASSERT_TRUE(q.allocated());
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.pushes(), 1u);
    EXPECT_EQ(q.bytes(), 100u + 16 + 18);
    EXPECT_EQ(q[0].msg, &msg);
    EXPECT_EQ(q[1].reply, &replies[0]);
    EXPECT_EQ(q[2].reply, &replies[2]);
    WriteItem first = q.Pop();
    EXPECT_EQ(first.msg, &msg);
    EXPECT_EQ(q.pushes(), 0u);
    EXPECT_EQ(q.bytes(), 16u + 18);
    q.Add({nullptr, &replies[1]});
    q.Add({&msg, nullptr});  // full: 4 items
    EXPECT_EQ(q.size(), 4u);
    EXPECT_EQ(q[3].msg, &msg);
    EXPECT_EQ(q.Pop().reply, &replies[0]);
    EXPECT_EQ(q.Pop().reply, &replies[2]);
    EXPECT_EQ(q.Pop().reply, &replies[1]);
    q.Release();  // not empty: keeps its slots
    EXPECT_TRUE(q.allocated());
    EXPECT_EQ(q.Pop().msg, &msg);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pushes(), 0u);
    EXPECT_EQ(q.bytes(), 0u);
    if (round % 2 == 1) {
      q.Release();  // empty: an idle connection holds no slots
      EXPECT_FALSE(q.allocated());
    }
  }
}

}  // namespace
}  // namespace goim::comet
