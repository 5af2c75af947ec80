// configs/*.yaml document the defaults in code: loading each file must give exactly the defaults,
// and standalone.yaml must load and wire up.
#include <array>
#include <fstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "cmd/standalone/config.h"

namespace goim {
namespace {

template <class Config>
void ExpectFileIsDefaults(const std::string& file) {
  Config defaults, loaded;
  conf::Options opts;
  opts.conf_file = std::string(GOIM_SOURCE_DIR) + "/configs/" + file;
  ASSERT_NO_THROW(conf::Load(opts, &loaded)) << file;
  EXPECT_EQ(conf::Dump(loaded), conf::Dump(defaults))
      << file << " no longer matches the defaults in code";
  EXPECT_EQ(loaded.Validate(), "") << file;
}

// The keys of `want` (a dumped config) that `file` (a config file's YAML) does not list.
void MissingKeys(const YAML::Node& want, const YAML::Node& file, const std::string& at,
                 std::vector<std::string>* missing) {
  if (!want.IsMap()) return;
  for (const auto& kv : want) {
    std::string key = kv.first.as<std::string>();
    std::string path = at.empty() ? key : at + "." + key;
    YAML::Node in = file.IsMap() ? file[key] : YAML::Node();
    if (!in.IsDefined())
      missing->push_back(path);
    else
      MissingKeys(kv.second, in, path, missing);
  }
}

// Every key a service takes is written, with its comment, in its configs/ file.
template <class Config>
void ExpectFileListsEveryKey(const std::string& file) {
  Config defaults;
  std::vector<std::string> missing;
  MissingKeys(YAML::Load(conf::Dump(defaults)),
              YAML::LoadFile(std::string(GOIM_SOURCE_DIR) + "/configs/" + file), "", &missing);
  EXPECT_TRUE(missing.empty()) << file << " does not list: " << ::testing::PrintToString(missing);
}

TEST(ConfigFiles, ServiceFilesListEveryKey) {
  ExpectFileListsEveryKey<comet::Config>("comet.yaml");
  ExpectFileListsEveryKey<logic::Config>("logic.yaml");
  ExpectFileListsEveryKey<router::Config>("router.yaml");
  ExpectFileListsEveryKey<job::Config>("job.yaml");
}

TEST(ConfigFiles, ServiceFilesAreTheDefaults) {
  ExpectFileIsDefaults<comet::Config>("comet.yaml");
  ExpectFileIsDefaults<logic::Config>("logic.yaml");
  ExpectFileIsDefaults<router::Config>("router.yaml");
  ExpectFileIsDefaults<job::Config>("job.yaml");
}

TEST(ConfigFiles, StandaloneLoadsAndWires) {
  standalone::Config cfg;
  conf::Options opts;
  opts.conf_file = std::string(GOIM_SOURCE_DIR) + "/configs/standalone.yaml";
  ASSERT_NO_THROW(conf::Load(opts, &cfg));
  ASSERT_EQ(cfg.Validate(), "");
  EXPECT_EQ(cfg.comet.env.host, "standalone");
  EXPECT_EQ(cfg.logic.router.nodes.at("router-1"), "127.0.0.1:3129");
  EXPECT_EQ(cfg.comet.rpcClient.logic, std::vector<std::string>{"127.0.0.1:3119"});
  ASSERT_EQ(cfg.job.comets.size(), 1u);
  EXPECT_EQ(cfg.job.comets[0].hostname, "standalone");
  EXPECT_EQ(cfg.job.comets[0].grpc, "127.0.0.1:3109");
  EXPECT_EQ(cfg.comet.protocol.maxWatchOps, 256);
  EXPECT_EQ(cfg.logic.httpServer.maxConns, 10000);
  EXPECT_TRUE(cfg.comet.websocket.deflate);
  EXPECT_EQ(cfg.comet.websocket.deflateThreshold, 256);
  EXPECT_EQ(cfg.comet.websocket.maxInflatedSize, 4112);
  EXPECT_EQ(cfg.comet.protocol.compressThreshold, 256);
  EXPECT_TRUE(cfg.logic.send.enabled) << "standalone sends danmaku over the connection";
  EXPECT_FALSE(logic::Config().send.enabled)
      << "goim's Receive is logic's (and the cluster's) default";
  // Room history: one in-process store, the defaults, shared by logic and job.
  for (const history::Config* h : {&cfg.logic.history, &cfg.job.history}) {
    EXPECT_TRUE(h->enabled);
    EXPECT_EQ(h->store, "memory");
    EXPECT_EQ(h->perRoom, 100);
    EXPECT_EQ(h->ttl, std::chrono::hours(24));
    EXPECT_EQ(h->maxRequest, 100);
  }
  EXPECT_TRUE(cfg.logic.historyInProcess && cfg.job.historyInProcess);
  EXPECT_FALSE(logic::Config().history.enabled) << "the cluster needs a Redis";
}

template <class Config>
Config ExpectLoads(const std::string& file) {
  Config cfg;
  conf::Options opts;
  opts.conf_file = std::string(GOIM_SOURCE_DIR) + "/configs/cluster/" + file;
  EXPECT_NO_THROW(conf::Load(opts, &cfg)) << file;
  EXPECT_EQ(cfg.Validate(), "") << file;
  EXPECT_TRUE(cfg.discovery.enabled()) << file << ": the cluster's membership is in etcd";
  return cfg;
}

TEST(ConfigFiles, ClusterFilesLoadWithTheirMembershipInEtcd) {
  for (const char* f : {"router-1.yaml", "router-2.yaml"}) ExpectLoads<router::Config>(f);
  for (const char* f : {"logic-1.yaml", "logic-2.yaml"}) {
    auto cfg = ExpectLoads<logic::Config>(f);
    // The broker is Kafka 4.x: the producer's own defaults (idempotent), no old-broker settings.
    EXPECT_TRUE(cfg.kafka.properties.empty()) << f;
    EXPECT_EQ(cfg.httpServer.maxConns, 10000) << f;
    EXPECT_TRUE(cfg.history.enabled && cfg.history.store == "redis") << f;
  }
  for (const char* f : {"comet-1.yaml", "comet-2.yaml"}) {
    EXPECT_EQ(ExpectLoads<comet::Config>(f).protocol.maxWatchOps, 256) << f;
  }
  for (const char* f : {"job-1.yaml", "job-2.yaml"}) {
    auto cfg = ExpectLoads<job::Config>(f);
    EXPECT_TRUE(cfg.kafka.properties.empty()) << f;
    EXPECT_TRUE(cfg.comets.empty()) << f << ": the comets come from etcd";
    EXPECT_TRUE(cfg.history.enabled && cfg.history.store == "redis") << f;
  }
}

TEST(ConfigFiles, DiscoveryValuesNameTheKey) {
  logic::Config l;
  conf::Options o;
  o.sets.emplace_back("discovery.etcd.endpoints", "[\"127.0.0.1:2379\"]");
  o.sets.emplace_back("discovery.etcd.ttl", "1s");
  conf::LoadText("", o, &l);
  EXPECT_EQ(l.Validate(), "discovery.etcd.ttl: must be >= 2s");
  // bilibili discovery: goim's defaults, each bad value named, never together with etcd.
  logic::Config bili;
  EXPECT_EQ(bili.discovery.bilibili.renewInterval, std::chrono::seconds(30));
  EXPECT_EQ(bili.discovery.bilibili.pollTimeout, std::chrono::seconds(40));
  EXPECT_EQ(bili.discovery.bilibili.evictAfter, std::chrono::seconds(90));
  EXPECT_EQ(bili.discovery.bilibili.rejoinGrace, std::chrono::seconds(45));
  conf::Options bo;
  bo.sets.emplace_back("discovery.bilibili.nodes", "[\"127.0.0.1:7171\"]");
  conf::LoadText("", bo, &bili);
  EXPECT_TRUE(bili.discovery.enabled());
  EXPECT_EQ(bili.Validate(), "");
  for (auto [key, value, error] : std::vector<std::array<std::string, 3>>{
           {"discovery.bilibili.nodes", "[\"7171\"]",
            "discovery.bilibili.nodes: '7171' is not host:port"},
           {"discovery.bilibili.renewInterval", "45s",
            "discovery.bilibili.renewInterval: must be in (0, 30s]"},
           {"discovery.bilibili.pollTimeout", "2s",
            "discovery.bilibili.pollTimeout: must be > timeout"},
           {"discovery.bilibili.evictAfter", "10s",
            "discovery.bilibili.evictAfter: must be >= renewInterval"},
           {"discovery.bilibili.rejoinGrace", "-1s",
            "discovery.bilibili.rejoinGrace: must be >= 0"},
           {"discovery.etcd.endpoints", "[\"127.0.0.1:2379\"]",
            "discovery: etcd.endpoints and bilibili.nodes are both set; choose one"}}) {
    logic::Config c;
    conf::Options co = bo;
    co.sets.emplace_back(key, value);
    conf::LoadText("", co, &c);
    EXPECT_EQ(c.Validate(), error) << key;
  }
  standalone::Config sa;
  conf::Options so;
  so.sets.emplace_back("comet.discovery.etcd.endpoints", "[\"127.0.0.1:2379\"]");
  conf::LoadText("", so, &sa);
  EXPECT_NE(sa.Validate().find("standalone's services find each other in-process"),
            std::string::npos);
}

TEST(ConfigFiles, BadValuesNameTheKey) {
  comet::Config c;
  conf::Options opts;
  opts.sets.emplace_back("protocol.cliProto", "0");
  conf::LoadText("", opts, &c);
  EXPECT_EQ(c.Validate(), "protocol.cliProto: must be in 1..1024");
  comet::Config ops;
  conf::Options oo;
  oo.sets.emplace_back("protocol.maxWatchOps", "0");
  conf::LoadText("", oo, &ops);
  EXPECT_EQ(ops.Validate(), "protocol.maxWatchOps: must be > 0");
  comet::Config inflated;
  conf::Options io;
  io.sets.emplace_back("websocket.maxInflatedSize", "4000");
  conf::LoadText("", io, &inflated);
  EXPECT_EQ(inflated.Validate(), "websocket.maxInflatedSize: must be in 4112..16777216");
  comet::Config threshold;
  conf::Options to;
  to.sets.emplace_back("protocol.compressThreshold", "-1");
  conf::LoadText("", to, &threshold);
  EXPECT_EQ(threshold.Validate(), "protocol.compressThreshold: must be >= 0");
  job::Config j;
  conf::Options jo;
  jo.sets.emplace_back("broadcast.noComets", "maybe");
  conf::LoadText("", jo, &j);
  EXPECT_EQ(j.Validate(), "broadcast.noComets: must be wait or drop");
  logic::Config l;
  conf::Options lo;
  lo.sets.emplace_back("httpServer.maxConns", "-1");
  conf::LoadText("", lo, &l);
  EXPECT_EQ(l.Validate(), "httpServer.maxConns: must be >= 0 (0: no limit)");
  for (auto [key, value, want] : std::vector<std::array<std::string, 3>>{
           {"send.rate.perSecond", "0", "send.rate.perSecond: must be > 0"},
           {"send.maxBodyBytes", "0", "send.maxBodyBytes: must be > 0"},
           {"auth.hook.url", "https://backend/",
            "auth.hook.url: https is not supported (plain http:// only)"},
           {"send.hook.url", "http://backend:x/",
            "send.hook.url: 'http://backend:x/': bad port 'x'"}}) {
    logic::Config sc;
    conf::Options so;
    so.sets.emplace_back(key, value);
    conf::LoadText("", so, &sc);
    EXPECT_EQ(sc.Validate(), want) << key;
  }
  logic::Config hc;
  conf::Options ho;
  ho.sets.emplace_back("send.hook.url", "http://127.0.0.1:9/");
  ho.sets.emplace_back("send.hook.onFailure", "maybe");
  conf::LoadText("", ho, &hc);
  EXPECT_EQ(hc.Validate(), "send.hook.onFailure: must be deny or allow");
}

}  // namespace
}  // namespace goim
