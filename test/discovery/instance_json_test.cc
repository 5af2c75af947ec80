// The stored record format and the config checks of pkg/discovery (no etcd needed).
#include <gtest/gtest.h>

#include "pkg/discovery/etcd_client.h"
#include "pkg/discovery/instance_json.h"
#include "pkg/discovery/membership.h"

namespace goim::discovery {
namespace {

Instance Comet() {
  Instance in;
  in.appid = kComet;
  in.hostname = "comet-1";
  in.region = "sh";
  in.zone = "sh001";
  in.env = "dev";
  in.grpc = "10.0.0.1:3109";
  in.addrs = {"47.89.10.97", "47.89.10.98"};
  in.weight = 7;
  in.conn_count = 12;
  in.ip_count = 3;
  in.epoch = "00aa";
  in.updated_ns = 1545750122311688676;
  return in;
}

TEST(InstanceJson, RoundTripsGoimsRecordShape) {
  std::string text = EncodeInstance(Comet());
  // goim's discovery record: grpc:// address in addrs, string metadata.
  EXPECT_NE(text.find("\"addrs\":[\"grpc://10.0.0.1:3109\"]"), std::string::npos) << text;
  EXPECT_NE(text.find("\"weight\":\"7\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"latest_timestamp\":1545750122311688676"), std::string::npos) << text;
  Instance out;
  std::string err;
  ASSERT_TRUE(DecodeInstance(text, kComet, "comet-1", &out, &err)) << err;
  EXPECT_EQ(out.grpc, "10.0.0.1:3109");
  EXPECT_EQ(out.addrs, (std::vector<std::string>{"47.89.10.97", "47.89.10.98"}));
  EXPECT_EQ(out.weight, 7);
  EXPECT_EQ(out.conn_count, 12);
  EXPECT_EQ(out.ip_count, 3);
  EXPECT_EQ(out.epoch, "00aa");
  EXPECT_EQ(out.zone, "sh001");
  EXPECT_FALSE(out.offline);
}

TEST(InstanceJson, ReadsGoimsOwnInstanceExample) {
  // docs/push.md's /goim/nodes/instances entry, as goim's discovery stores it.
  const char* goim =
      R"({"region":"sh","zone":"sh001","env":"dev","appid":"goim.comet","hostname":"test",)"
      R"("addrs":["grpc://192.168.1.30:3109"],"version":"","latest_timestamp":1545750122311688676,)"
      R"("metadata":{"addrs":"47.89.10.97","conn_count":"1","ip_count":"1","offline":"false",)"
      R"("weight":"10"}})";
  Instance out;
  std::string err;
  ASSERT_TRUE(DecodeInstance(goim, kComet, "test", &out, &err)) << err;
  EXPECT_EQ(out.grpc, "192.168.1.30:3109");
  EXPECT_EQ(out.weight, 10);
  EXPECT_EQ(out.conn_count, 1);
}

TEST(InstanceJson, RefusesForeignAndMalformedValues) {
  std::string good = EncodeInstance(Comet());
  Instance out;
  std::string err;
  EXPECT_FALSE(DecodeInstance("not json", kComet, "comet-1", &out, &err));
  EXPECT_FALSE(DecodeInstance("[1,2]", kComet, "comet-1", &out, &err));
  EXPECT_FALSE(DecodeInstance(good, kLogic, "comet-1", &out, &err));  // another application
  EXPECT_NE(err.find("appid"), std::string::npos) << err;
  EXPECT_FALSE(DecodeInstance(good, kComet, "comet-2", &out, &err));  // another key
  std::string bad_weight = good;
  bad_weight.replace(bad_weight.find("\"weight\":\"7\""), 12, "\"weight\":\"x\"");
  EXPECT_FALSE(DecodeInstance(bad_weight, kComet, "comet-1", &out, &err));
  EXPECT_NE(err.find("weight"), std::string::npos) << err;
  std::string bad_offline = good;
  bad_offline.replace(bad_offline.find("\"offline\":\"false\""), 17, "\"offline\":\"maybe\"");
  EXPECT_FALSE(DecodeInstance(bad_offline, kComet, "comet-1", &out, &err));
}

TEST(EtcdTarget, EndpointForms) {
  std::string err;
  EXPECT_EQ(EtcdTarget({"127.0.0.1:2379"}, &err), "127.0.0.1:2379");
  EXPECT_EQ(EtcdTarget({"http://etcd.local:2379/"}, &err), "etcd.local:2379");
  EXPECT_EQ(EtcdTarget({"10.0.0.1:2379", "http://10.0.0.2:2379"}, &err),
            "ipv4:10.0.0.1:2379,10.0.0.2:2379");
  EXPECT_EQ(EtcdTarget({"a:1", "b:2"}, &err), "");
  EXPECT_NE(err.find("IPv4"), std::string::npos) << err;
  EXPECT_EQ(EtcdTarget({"https://10.0.0.1:2379"}, &err), "");
  EXPECT_EQ(EtcdTarget({"10.0.0.1"}, &err), "");
}

TEST(EtcdTarget, PrefixEndCoversThePrefix) {
  EXPECT_EQ(PrefixEnd("/goim/goim.comet/"), "/goim/goim.comet0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
}

TEST(DiscoveryConfig, Validate) {
  Config c;
  EXPECT_EQ(c.Validate(), "");  // static
  c.etcd.endpoints = {"127.0.0.1:2379"};
  EXPECT_EQ(c.Validate(), "");
  c.etcd.prefix = "goim";
  EXPECT_NE(c.Validate().find("discovery.etcd.prefix"), std::string::npos);
  c.etcd.prefix = "/goim";
  c.etcd.ttl = std::chrono::seconds(1);
  EXPECT_NE(c.Validate().find("discovery.etcd.ttl"), std::string::npos);
  c.etcd.ttl = std::chrono::seconds(10);
  c.etcd.endpoints = {"nohost"};
  EXPECT_NE(c.Validate().find("discovery.etcd.endpoints"), std::string::npos);
}

TEST(StaticBackend, ServesTheConfiguredLists) {
  Instance a;
  a.hostname = "comet-1";
  auto b = NewBackend(Config{}, {}, {{kComet, {a}}});
  EXPECT_STREQ(b->name(), "static");
  std::vector<Instance> seen;
  auto w = b->WatchApp(kComet, [&](const std::vector<Instance>& l) { seen = l; });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].appid, kComet);
  EXPECT_EQ(w->Current().size(), 1u);
  EXPECT_TRUE(b->Register(a)->healthy());
  EXPECT_TRUE(b->WatchApp(kRouter, nullptr)->Current().empty());
  std::vector<std::string> apps;
  auto both = b->WatchApps({kRouter, kComet}, [&](const std::string& app, const auto& l) {
    apps.push_back(app + ":" + std::to_string(l.size()));
  });
  EXPECT_EQ(apps, (std::vector<std::string>{"goim.router:0", "goim.comet:1"}));
  EXPECT_EQ(both->Current().size(), 1u);
}

}  // namespace
}  // namespace goim::discovery
