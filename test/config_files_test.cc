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
  EXPECT_TRUE(cfg.logic.send.enabled) << "standalone sends danmaku over the connection";
  EXPECT_FALSE(logic::Config().send.enabled)
      << "goim's Receive is logic's (and the cluster's) default";
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
