#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/hash/base64.h"
#include "pkg/hash/digest.h"
#include "pkg/hash/ketama.h"
#include "pkg/json/json.h"

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

TEST(Json, ParsesGoimAuthToken) {
  json::Json v;
  std::string err;
  ASSERT_TRUE(json::Parse(R"({"mid":123, "key":"", "room_id":"live://1000", "platform":"web",
                              "accepts":[1000,1001,1002], "x": {"nested": [true, null, 1.5e2]}})",
                          &v, &err))
      << err;
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v["mid"].get<int64_t>(), 123);
  EXPECT_TRUE(v["mid"].is_number_integer());
  EXPECT_EQ(v["room_id"].get<std::string>(), "live://1000");
  ASSERT_EQ(v["accepts"].size(), 3u);
  EXPECT_EQ(v["accepts"][2].get<int64_t>(), 1002);
  EXPECT_EQ(v["x"]["nested"][2].get<double>(), 150.0);
  EXPECT_FALSE(v["x"]["nested"][2].is_number_integer());
  EXPECT_FALSE(v.contains("missing"));
}

TEST(Json, RejectsMalformed) {
  json::Json v;
  std::string err;
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01x", "{} x",
                          "\"\x01\"", "-", "1.", "1e"}) {
    EXPECT_FALSE(json::Parse(bad, &v, &err)) << bad;
    EXPECT_FALSE(err.empty());
  }
  std::string deep(100, '[');
  EXPECT_FALSE(json::Parse(deep + std::string(100, ']'), &v, &err));
  EXPECT_NE(err.find("deep"), std::string::npos);
}

TEST(Json, InvalidUtf8BecomesReplacementCharactersAsGo) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json::ValidUtf8("live://\xE6\x88\xBF"), "live://\xE6\x88\xBF");  // valid 3-byte kept
  EXPECT_EQ(json::ValidUtf8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");        // valid 4-byte kept
  EXPECT_EQ(json::ValidUtf8("a\xFF"
                            "b"),
            "a" + fffd + "b");
  EXPECT_EQ(json::ValidUtf8("\xE6\x88"), fffd + fffd);             // cut sequence: one per byte
  EXPECT_EQ(json::ValidUtf8("\xC0\xAF"), fffd + fffd);             // overlong
  EXPECT_EQ(json::ValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd);  // encoded surrogate
  EXPECT_EQ(json::ValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  json::Json v;
  std::string err;
  ASSERT_TRUE(json::Parse("{\"room_id\":\"live://\xFF\x31\"}", &v, &err)) << err;
  EXPECT_EQ(v["room_id"].get<std::string>(), "live://" + fffd + "1");
  // Unpaired surrogate escapes become U+FFFD; what follows one is kept.
  ASSERT_TRUE(json::Parse(R"(["\ud800\u0041", "\udc00", "\ud83d\ude00"])", &v, &err)) << err;
  EXPECT_EQ(v[0].get<std::string>(), fffd + "A");
  EXPECT_EQ(v[1].get<std::string>(), fffd);
  EXPECT_EQ(v[2].get<std::string>(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(json::Dump("r\xFF"), "\"r" + fffd + "\"");
}

TEST(Json, StringsAndEscapesRoundTrip) {
  json::Json w = json::Json::object();
  w["s"] = "a\"b\\c\n\x01é";
  w["n"] = -5;
  w["d"] = json::Float64(1.5);
  w["a"] = {true, nullptr};
  w["r"] = json::Json::object();
  EXPECT_EQ(json::Dump(w),
            "{\"s\":\"a\\\"b\\\\c\\n\\u0001é\",\"n\":-5,\"d\":1.5,\"a\":[true,null],\"r\":{}}");
  json::Json v;
  std::string err;
  ASSERT_TRUE(json::Parse(json::Dump(w), &v, &err)) << err;
  EXPECT_EQ(v["s"].get<std::string>(), "a\"b\\c\n\x01é");
  ASSERT_TRUE(json::Parse(R"("\u00e9\ud83d\ude00")", &v, &err));
  EXPECT_EQ(v.get<std::string>(), "é\xF0\x9F\x98\x80");
  EXPECT_EQ(json::Dump({json::Float32(0.3f), json::Float32(1.8f)}), "[0.3,1.8]");
  ASSERT_TRUE(json::Parse("9223372036854775807", &v, &err));
  EXPECT_EQ(v.get<int64_t>(), INT64_MAX);
}

// Go writes float64 40 as 40 and leaves out what is not a number.
TEST(Json, NumbersAsGoWritesThem) {
  EXPECT_EQ(json::Dump({json::Float64(40.0), json::Float64(-0.25), json::Float64(NAN)}),
            "[40,-0.25,null]");
}

}  // namespace
}  // namespace goim
