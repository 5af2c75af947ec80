#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pkg/json/json.h"

namespace goim {
namespace {

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

// Go's encoding/json key matching (checked against Go 1.26): exact first, else case-insensitive
// with K (U+212A) for k and long s (U+017F) for s; dotless i (U+0131) and I with a dot (U+0130)
// are not i.
TEST(Json, GoFieldMatchesKeysAsGo) {
  constexpr std::string_view fields[] = {"mid", "key", "room_id", "accepts", "Mid"};
  const std::string kelvin = "\xE2\x84\xAA", long_s = "\xC5\xBF";
  const std::string dotless_i = "\xC4\xB1", dotted_i = "\xC4\xB0";
  EXPECT_EQ(json::GoField("mid", fields), 0);
  EXPECT_EQ(json::GoField("Mid", fields), 4);  // an exact match wins over an earlier folded one
  EXPECT_EQ(json::GoField("MID", fields), 0);
  EXPECT_EQ(json::GoField("Room_ID", fields), 2);
  EXPECT_EQ(json::GoField(kelvin + "ey", fields), 1);
  EXPECT_EQ(json::GoField("accept" + long_s, fields), 3);
  EXPECT_EQ(json::GoField("m" + dotless_i + "d", fields), -1);
  EXPECT_EQ(json::GoField("m" + dotted_i + "d", fields), -1);
  EXPECT_EQ(json::GoField("mi", fields), -1);
  EXPECT_EQ(json::GoField("midd", fields), -1);
  EXPECT_EQ(json::GoField("", fields), -1);
}

}  // namespace
}  // namespace goim
