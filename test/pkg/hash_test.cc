#include <map>
#include <string>

#include <gtest/gtest.h>

#include "pkg/hash/base64.h"
#include "pkg/hash/digest.h"
#include "pkg/hash/ketama.h"

namespace goim {
namespace {

// Expected placements computed with an independent implementation of goim v1's algorithm
// (Python hashlib: points sha1("<node>:<i>") for i in 1..255, value = last 4 digest bytes).
TEST(Ketama, PlacesKeysAsGoimV1) {
  hash::Ketama ring({"1", "2", "3"});
  EXPECT_EQ(ring.point_count(), 765u);
  const std::map<std::string, std::string> want = {
      {"0", "1"},   {"1", "2"},    {"2", "1"},     {"3", "1"},    {"42", "2"},
      {"123", "2"}, {"1000", "3"}, {"99999", "2"}, {"test", "3"}, {"mid_7", "1"}};
  for (const auto& [key, node] : want) EXPECT_EQ(ring.Get(key), node) << key;
  hash::Ketama named({"router-a", "router-b"});
  const std::map<std::string, std::string> want2 = {{"1", "router-b"},
                                                    {"5", "router-b"},
                                                    {"6", "router-a"},
                                                    {"7", "router-b"},
                                                    {"8", "router-a"}};
  for (const auto& [key, node] : want2) EXPECT_EQ(named.Get(key), node) << key;
  EXPECT_EQ(hash::Ketama::Value("hello"), 2930328397u);
}

TEST(Ketama, OrderOfNodesDoesNotMatter) {
  hash::Ketama a({"x", "y", "z"}), b({"z", "x", "y"});
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(a.Get(std::to_string(i)), b.Get(std::to_string(i)));
}

TEST(Ketama, AddingANodeMovesAboutOneNthOfKeys) {
  hash::Ketama four({"n1", "n2", "n3", "n4"});
  hash::Ketama five({"n1", "n2", "n3", "n4", "n5"});
  const int keys = 20000;
  int moved = 0;
  for (int i = 0; i < keys; ++i) {
    std::string k = std::to_string(i);
    const std::string& before = four.Get(k);
    const std::string& after = five.Get(k);
    if (before != after) {
      ++moved;
      EXPECT_EQ(after, "n5") << "a key moved between two old nodes";
    }
  }
  double frac = static_cast<double>(moved) / keys;
  EXPECT_GT(frac, 0.12);  // ideal 1/5 = 0.2
  EXPECT_LT(frac, 0.28);
}

TEST(BucketHash, SpreadsKeys) {
  int counts[32] = {0};
  for (int i = 0; i < 32000; ++i) counts[hash::BucketHash("key-" + std::to_string(i)) % 32]++;
  for (int c : counts) {
    EXPECT_GT(c, 800);
    EXPECT_LT(c, 1200);
  }
}

TEST(Digest, KnownVectors) {
  hash::Sha1Digest d = hash::Sha1("abc");
  EXPECT_EQ(d[0], 0xa9);
  EXPECT_EQ(d[19], 0x9d);
  // RFC 4231 test case 2.
  hash::Sha256Digest m = hash::HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(m[0], 0x5b);
  EXPECT_EQ(m[31], 0x43);
  EXPECT_TRUE(hash::ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(hash::ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(hash::ConstantTimeEqual("abc", "ab"));
}

TEST(Base64, StdAndUrl) {
  EXPECT_EQ(hash::Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(hash::Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(hash::Base64Encode("f"), "Zg==");
  EXPECT_EQ(hash::Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(hash::Base64Decode("-_8").value(), "\xfb\xff");
  EXPECT_EQ(hash::Base64Decode("Zm9vYmFy").value(), "foobar");
  EXPECT_EQ(hash::Base64Decode("Zg==").value(), "f");
  EXPECT_FALSE(hash::Base64Decode("Zm9v!").has_value());
}

}  // namespace
}  // namespace goim
