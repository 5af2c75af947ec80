#include <set>

#include <gtest/gtest.h>

#include "logic/auth.h"
#include "logic/balancer.h"

namespace goim::logic {
namespace {

TEST(Auth, GoimJsonTokenIsTrustedByDefault) {
  AuthToken t;
  ASSERT_EQ(
      VerifyToken(
          R"({"mid":123, "key":"", "room_id":"live://1000", "platform":"web", "accepts":[1000,1001,1002]})",
          "", 0, &t),
      "");
  EXPECT_EQ(t.mid, 123);
  EXPECT_EQ(t.room_id, "live://1000");
  EXPECT_EQ(t.platform, "web");
  EXPECT_EQ(t.accepts, (std::vector<int32_t>{1000, 1001, 1002}));
  // goim's benchmark client token.
  ASSERT_EQ(
      ParseToken(
          R"({"mid":5,"key":"","room_id":"test://1","platform":"ios","accepts":[1000,1001,1002]})",
          &t),
      "");
  EXPECT_EQ(t.mid, 5);
}

TEST(Auth, MalformedTokensAreRefusedWithAReason) {
  AuthToken t;
  EXPECT_NE(ParseToken("not json", &t).find("not JSON"), std::string::npos);
  EXPECT_NE(ParseToken("[1]", &t).find("not a JSON object"), std::string::npos);
  EXPECT_NE(ParseToken(R"({"mid":"x"})", &t).find("mid"), std::string::npos);
  EXPECT_NE(ParseToken(R"({"accepts":[1,"a"]})", &t).find("accepts"), std::string::npos);
  EXPECT_NE(ParseToken(R"({"accepts":[99999999999]})", &t).find("int32"), std::string::npos);
  EXPECT_NE(ParseToken(R"({"room_id":7})", &t).find("room_id"), std::string::npos);
}

// goim's logic reads the token with Go's encoding/json (each case checked against Go 1.26): a
// repeated key takes its last value; a key sets the field it names exactly, else one it names
// case-insensitively (Unicode's K for k and long s for s too, not dotless i); a type error in any
// member fails the token even when a later one is good; null leaves a field alone but empties
// accepts (a null element is 0); a top-level null is an empty token.
TEST(Auth, TokenIsReadAsGoDecodesIt) {
  AuthToken t;
  ASSERT_EQ(ParseToken(R"({"mid":1,"mid":2,"Room_ID":"live://9"})", &t), "");
  EXPECT_EQ(t.mid, 2);
  EXPECT_EQ(t.room_id, "live://9");
  ASSERT_EQ(ParseToken(R"({"MID":2,"mid":1})", &t), "");
  EXPECT_EQ(t.mid, 1);
  ASSERT_EQ(ParseToken(R"({"mid":1,"MID":2,"mid":3,"PlatForm":"ios"})", &t), "");
  EXPECT_EQ(t.mid, 3);
  EXPECT_EQ(t.platform, "ios");
  ASSERT_EQ(ParseToken("{\"\xE2\x84\xAA"
                       "ey\":\"kelvin\",\"accept\xC5\xBF\":[5]}",
                       &t),
            "");
  EXPECT_EQ(t.key, "kelvin");
  EXPECT_EQ(t.accepts, std::vector<int32_t>{5});
  ASSERT_EQ(ParseToken("{\"m\xC4\xB1"
                       "d\":7}",
                       &t),
            "");  // dotless i is not i
  EXPECT_EQ(t.mid, 0);
  EXPECT_NE(ParseToken(R"({"mid":"x","mid":1})", &t), "");
  ASSERT_EQ(ParseToken(R"({"accepts":[1,2],"accepts":[3]})", &t), "");
  EXPECT_EQ(t.accepts, std::vector<int32_t>{3});
  ASSERT_EQ(ParseToken(R"({"accepts":[1,2],"accepts":null})", &t), "");
  EXPECT_TRUE(t.accepts.empty());
  ASSERT_EQ(ParseToken(R"({"accepts":[null,2]})", &t), "");
  EXPECT_EQ(t.accepts, (std::vector<int32_t>{0, 2}));
  ASSERT_EQ(ParseToken(R"({"mid":5,"mid":null,"key":"a","KEY":null})", &t), "");
  EXPECT_EQ(t.mid, 5);
  EXPECT_EQ(t.key, "a");
  ASSERT_EQ(ParseToken(R"({"x":[1,{"mid":2}],"mid":3,"y":{"accepts":"no"}})", &t), "");
  EXPECT_EQ(t.mid, 3);
  EXPECT_EQ(ParseToken(R"({"mid":-0})", &t), "");
  for (const char* bad : {R"({"mid":1.0})", R"({"mid":1e2})", R"({"mid":9223372036854775808})",
                          R"({"accepts":{"a":1}})", R"({"accepts":[[1]]})", R"({"key":["a"]})"})
    EXPECT_NE(ParseToken(bad, &t), "") << bad;
  ASSERT_EQ(ParseToken("null", &t), "");
  EXPECT_EQ(t.mid, 0);
  EXPECT_NE(ParseToken(R"("live://1")", &t).find("not a JSON object"), std::string::npos);
  EXPECT_NE(ParseToken(R"({"mid":"x"} trailing)", &t).find("not JSON"), std::string::npos);
}

TEST(Auth, SignedTokens) {
  const std::string secret = "s3cret";
  std::string good =
      SignToken(R"({"mid":9,"room_id":"live://1","accepts":[1000],"exp":2000})", secret);
  AuthToken t;
  ASSERT_EQ(VerifyToken(good, secret, 1000, &t), "");
  EXPECT_EQ(t.mid, 9);
  EXPECT_EQ(t.exp, 2000);
  EXPECT_EQ(VerifyToken(good, secret, 2001, &t), "token: expired");
  EXPECT_EQ(VerifyToken(good, "other", 1000, &t), "token: bad signature");
  // A forged claim with the original signature.
  std::string forged =
      SignToken(R"({"mid":1,"room_id":"live://1","accepts":[1000],"exp":2000})", secret);
  std::string spliced = forged.substr(0, forged.find('.')) + good.substr(good.find('.'));
  EXPECT_EQ(VerifyToken(spliced, secret, 1000, &t), "token: bad signature");
  EXPECT_EQ(VerifyToken(R"({"mid":9})", secret, 1000, &t), "token: not signed");
  EXPECT_EQ(VerifyToken(SignToken(R"({"mid":9})", secret), secret, 1000, &t),
            "token: signed token has no exp");
}

TEST(Auth, UuidsAreV4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuid();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[14], '4');
    EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b');
    EXPECT_TRUE(seen.insert(u).second);
  }
}

discovery::Instance Comet(const std::string& host, int weight, std::vector<std::string> addrs) {
  discovery::Instance in;
  in.hostname = host;
  in.weight = weight;
  in.addrs = std::move(addrs);
  return in;
}

TEST(Balancer, EqualWeightsAlternateAndOfflineIsSkipped) {
  Balancer b;
  auto off = Comet("c3", 10, {"3.3.3.3"});
  off.offline = true;
  b.Update({Comet("c1", 10, {"1.1.1.1"}), Comet("c2", 10, {"2.2.2.2"}), off}, {});
  EXPECT_EQ(b.size(), 2u);
  std::map<std::string, int> first;
  for (int i = 0; i < 400; ++i) {
    std::vector<std::string> domains, addrs;
    b.NodeAddrs("", ".goim.io", 1.6, &domains, &addrs);
    ASSERT_EQ(domains.size(), 2u);
    ASSERT_EQ(addrs.size(), 2u);
    first[domains[0]]++;
  }
  EXPECT_EQ(first["c1.goim.io"], 200);
  EXPECT_EQ(first["c2.goim.io"], 200);
}

// goim's formula: score = weight x gain + (weight share - conn share / 2) x total conns. Once
// connections are counted, a heavier comet stays ahead of a lighter one that holds none: goim
// hands the heaviest comet out first and relies on clients trying the returned list.
TEST(Balancer, HeavierCometLeadsAsInGoim) {
  Balancer b;
  b.Update({Comet("c1", 10, {"1.1.1.1"}), Comet("c2", 30, {"2.2.2.2"})}, {{"c1", 0}, {"c2", 100}});
  std::vector<std::string> domains, addrs;
  b.NodeAddrs("", "", 1.6, &domains, &addrs);
  EXPECT_EQ(domains[0], "c2");
  // Even holding every connection (30 + 0.25 x 10000 against 10 + 0.25 x 10000).
  Balancer b2;
  b2.Update({Comet("c1", 10, {"1.1.1.1"}), Comet("c2", 30, {"2.2.2.2"})},
            {{"c1", 0}, {"c2", 10000}});
  domains.clear();
  b2.NodeAddrs("", "", 1.6, &domains, &addrs);
  EXPECT_EQ(domains[0], "c2");
  // At equal weights the loaded comet drops behind at once.
  b2.Update({Comet("c1", 10, {"1.1.1.1"}), Comet("c2", 10, {"2.2.2.2"})},
            {{"c1", 0}, {"c2", 10000}});
  domains.clear();
  b2.NodeAddrs("", "", 1.6, &domains, &addrs);
  EXPECT_EQ(domains[0], "c1");
}

// Room history's auth fields: read when present, a wrong type marks the ask bad instead of
// failing the connect, and goim's fields are read as before.
TEST(Auth, HistoryFieldsAreReadAndBadOnesDoNotFailTheToken) {
  AuthToken t;
  ASSERT_EQ(ParseToken(R"({"mid":7,"room_id":"live://1","history":30})", &t), "");
  EXPECT_TRUE(t.history.asked);
  EXPECT_EQ(t.history.last, 30);
  EXPECT_FALSE(t.history.position);
  EXPECT_FALSE(t.history.bad);
  EXPECT_EQ(t.mid, 7);

  AuthToken p;
  ASSERT_EQ(ParseToken(R"({"room_id":"live://1","history":5,"offset":42,"epoch":"ab12"})", &p), "");
  EXPECT_TRUE(p.history.position);
  EXPECT_EQ(p.history.offset, 42);
  EXPECT_EQ(p.history.epoch, "ab12");
  EXPECT_FALSE(p.history.bad);

  AuthToken none;
  ASSERT_EQ(ParseToken(R"({"mid":1,"room_id":"live://1","history":null})", &none), "");
  EXPECT_FALSE(none.history.asked) << "null leaves a field alone, as Go does";

  for (const char* bad :
       {R"({"room_id":"live://1","history":"ten"})", R"({"room_id":"live://1","history":2.5})",
        R"({"room_id":"live://1","history":[1]})", R"({"room_id":"live://1","history":{"n":1}})",
        R"({"room_id":"live://1","offset":"1","epoch":"e"})",
        R"({"room_id":"live://1","offset":1,"epoch":7})"}) {
    AuthToken b;
    ASSERT_EQ(ParseToken(bad, &b), "") << bad;
    EXPECT_TRUE(b.history.asked) << bad;
    EXPECT_TRUE(b.history.bad) << bad;
    EXPECT_EQ(b.room_id, "live://1") << bad;
  }
  AuthToken longer;
  ASSERT_EQ(ParseToken(R"({"offset":1,"epoch":")" + std::string(65, 'e') + R"("})", &longer), "");
  EXPECT_TRUE(longer.history.bad) << "an epoch longer than any the store makes";
}

}  // namespace
}  // namespace goim::logic
