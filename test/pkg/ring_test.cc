#include <gtest/gtest.h>

#include "pkg/protocol/frame.h"
#include "pkg/ring/ring.h"

namespace goim {
namespace {

TEST(Ring, RoundsUpToPowerOfTwoLikeGoim) {
  EXPECT_EQ(ring::Ring<int>(5).capacity(), 8u);
  EXPECT_EQ(ring::Ring<int>(8).capacity(), 8u);
  EXPECT_EQ(ring::Ring<int>(1).capacity(), 1u);
  EXPECT_EQ(ring::Ring<int>(1000).capacity(), 1024u);
}

TEST(Ring, FullAndEmptyInOrder) {
  ring::Ring<protocol::Frame> r(5);
  protocol::Frame* p;
  EXPECT_EQ(r.Get(&p), ring::Error::kEmpty);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(r.Set(&p), ring::Error::kOk);
    p->seq = i;
    r.SetAdv();
  }
  EXPECT_EQ(r.Set(&p), ring::Error::kFull);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(r.Get(&p), ring::Error::kOk);
    EXPECT_EQ(p->seq, i);
    r.GetAdv();
  }
  EXPECT_EQ(r.Get(&p), ring::Error::kEmpty);
  // Wrap-around keeps working.
  for (int round = 0; round < 100; ++round) {
    ASSERT_EQ(r.Set(&p), ring::Error::kOk);
    p->seq = round;
    r.SetAdv();
    ASSERT_EQ(r.Get(&p), ring::Error::kOk);
    EXPECT_EQ(p->seq, round);
    r.GetAdv();
  }
}

TEST(Ring, ReleaseFreesOnlyWhenEmpty) {
  ring::Ring<int> r(4);
  EXPECT_FALSE(r.allocated());
  int* p;
  r.Set(&p);
  r.SetAdv();
  r.Release();
  EXPECT_TRUE(r.allocated());
  r.Get(&p);
  r.GetAdv();
  r.Release();
  EXPECT_FALSE(r.allocated());
}

}  // namespace
}  // namespace goim
