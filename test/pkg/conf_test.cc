#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/conf/conf.h"
#include "pkg/conf/env.h"

namespace goim::conf {
namespace {

using namespace std::chrono_literals;

struct Node {
  std::string name;
  std::string addr;
  void Bind(Binder& b) {
    b.Field("name", name);
    b.Field("addr", addr);
  }
};

struct Tcp {
  std::vector<std::string> bind{":3101"};
  int32_t sndbuf = 4096;
  bool keepalive = false;
  void Bind(Binder& b) {
    b.Field("bind", bind);
    b.Field("sndbuf", sndbuf);
    b.Field("keepalive", keepalive);
  }
};

struct Config {
  Env env;
  Tcp tcp;
  Duration handshake = 8s;
  double ratio = 1.5;
  std::vector<Node> nodes{{"a", "127.0.0.1:1"}};
  std::map<std::string, std::string> props;
  void Bind(Binder& b) {
    b.Section("env", env);
    b.Section("tcp", tcp);
    b.Field("handshake", handshake);
    b.Field("ratio", ratio);
    b.List("nodes", nodes);
    b.Field("props", props);
  }
};

Config LoadOk(const std::string& text, Options opts = {}) {
  Config c;
  LoadText(text, opts, &c);
  return c;
}

std::string LoadErr(const std::string& text, Options opts = {}) {
  Config c;
  try {
    LoadText(text, opts, &c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Conf, DefaultsSurviveAnEmptyDocument) {
  Config c = LoadOk("");
  EXPECT_EQ(c.tcp.sndbuf, 4096);
  EXPECT_EQ(c.handshake, 8s);
  ASSERT_EQ(c.nodes.size(), 1u);
}

TEST(Conf, YamlOverlaysDefaults) {
  Config c = LoadOk(R"(
tcp:
  sndbuf: 8192
  bind: [":1", ":2"]
handshake: 250ms
nodes:
  - {name: x, addr: "127.0.0.1:9"}
  - {name: y}
props: {"api.version.request": "false"}
)");
  EXPECT_EQ(c.tcp.sndbuf, 8192);
  EXPECT_FALSE(c.tcp.keepalive);
  EXPECT_EQ(c.tcp.bind, (std::vector<std::string>{":1", ":2"}));
  EXPECT_EQ(c.handshake, 250ms);
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[1].name, "y");
  EXPECT_EQ(c.props.at("api.version.request"), "false");
}

TEST(Conf, UnknownKeysAndBadValuesNameTheKey) {
  EXPECT_EQ(LoadErr("tcp:\n  sndbufx: 1\n"), "tcp.sndbufx: unknown key");
  EXPECT_EQ(LoadErr("bogus: 1\n"), "bogus: unknown key");
  EXPECT_EQ(LoadErr("tcp:\n  sndbuf: lots\n"), "tcp.sndbuf: expected an integer, got 'lots'");
  EXPECT_EQ(LoadErr("tcp:\n  sndbuf: 99999999999\n"), "tcp.sndbuf: 99999999999 is out of range");
  EXPECT_EQ(LoadErr("tcp:\n  keepalive: maybe\n"),
            "tcp.keepalive: expected true or false, got 'maybe'");
  EXPECT_NE(LoadErr("handshake: 8 minutes\n").find("handshake: expected a duration"),
            std::string::npos);
  EXPECT_EQ(LoadErr("tcp: 3\n"), "tcp: expected a map of keys, got '3'");
  EXPECT_EQ(LoadErr("nodes:\n  - {name: x, port: 1}\n"), "nodes[0].port: unknown key");
  EXPECT_NE(LoadErr("tcp: [\n").find("YAML"), std::string::npos);
}

TEST(Conf, FlagsAndEnvOverrideTheFile) {
  setenv("REGION", "sh", 1);
  setenv("WEIGHT", "7", 1);
  const char* argv[] = {
      "prog",   "-conf",          "x.yaml", "-zone=sh001",     "-weight",
      "10",     "-debug",         "-set",   "tcp.sndbuf=1024", "--set=tcp.bind=[\":7\"]",
      "-addrs", "1.2.3.4,5.6.7.8"};
  Options opts = ParseCommandLine(12, const_cast<char**>(argv), "default.yaml");
  unsetenv("REGION");
  unsetenv("WEIGHT");
  EXPECT_EQ(opts.conf_file, "x.yaml");
  Config c = LoadOk("tcp:\n  sndbuf: 2048\nenv:\n  region: bj\n", opts);
  EXPECT_EQ(c.env.region, "sh");  // env beats the file
  EXPECT_EQ(c.env.zone, "sh001");
  EXPECT_EQ(c.env.weight, 10);  // the flag beats env
  EXPECT_TRUE(c.env.debug);
  EXPECT_EQ(c.env.addrs, (std::vector<std::string>{"1.2.3.4", "5.6.7.8"}));
  EXPECT_EQ(c.tcp.sndbuf, 1024);
  EXPECT_EQ(c.tcp.bind, (std::vector<std::string>{":7"}));
}

TEST(Conf, BadFlagsAreRefused) {
  const char* unknown[] = {"prog", "-nope", "1"};
  EXPECT_THROW(ParseCommandLine(3, const_cast<char**>(unknown), ""), Error);
  const char* missing[] = {"prog", "-conf"};
  EXPECT_THROW(ParseCommandLine(2, const_cast<char**>(missing), ""), Error);
  const char* badset[] = {"prog", "-set", "novalue"};
  EXPECT_THROW(ParseCommandLine(3, const_cast<char**>(badset), ""), Error);
  Options opts;
  opts.sets.emplace_back("tcp.nothere", "1");
  EXPECT_EQ(LoadErr("", opts), "tcp.nothere: unknown key");
}

TEST(Conf, HelpListsEveryFlag) {
  for (const char* h : {"-h", "-help", "--help"}) {
    const char* argv[] = {"prog", h};
    EXPECT_TRUE(ParseCommandLine(2, const_cast<char**>(argv), "").help) << h;
  }
  std::string u = Usage("goim-comet", "configs/comet.yaml");
  EXPECT_EQ(u.rfind("usage: goim-comet ", 0), 0u) << u;
  EXPECT_NE(u.find("(default configs/comet.yaml)"), std::string::npos) << u;
  for (const char* f : {"-conf FILE", "-set key.path=value", "-dump-config", "-region VALUE",
                        "-zone VALUE", "-deploy.env VALUE", "-host VALUE", "-weight VALUE",
                        "-addrs VALUE", "-offline ", "-debug ", "DEPLOY_ENV, sets env.deployEnv"}) {
    EXPECT_NE(u.find(f), std::string::npos) << f << " missing from:\n" << u;
  }
}

TEST(Conf, DumpReloadsToTheSameValues) {
  Config c = LoadOk("tcp: {sndbuf: 1}\nhandshake: 1m30s\nprops: {a: b}\n");
  std::string dumped = Dump(c);
  Config again = LoadOk(dumped);
  EXPECT_EQ(Dump(again), dumped);
  EXPECT_EQ(again.handshake, 90s);
  EXPECT_EQ(again.props.at("a"), "b");
}

TEST(Duration, GoSyntax) {
  EXPECT_EQ(ParseDuration("8m"), Duration(8min));
  EXPECT_EQ(ParseDuration("1h2m3s"), Duration(3723s));
  EXPECT_EQ(ParseDuration("250ms"), Duration(250ms));
  EXPECT_EQ(ParseDuration("1.5s"), Duration(1500ms));
  EXPECT_EQ(ParseDuration("0"), Duration(0));
  EXPECT_FALSE(ParseDuration("10").has_value());
  EXPECT_FALSE(ParseDuration("10x").has_value());
  EXPECT_FALSE(ParseDuration("").has_value());
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
}

// Integers are exact as in Go's time.ParseDuration (values checked against Go 1.26): durations
// past 2^53 ns round-trip through FormatDuration, and the fraction is cut, not rounded.
TEST(Duration, RoundTripIsExactPastTwoToTheFiftyThirdNanoseconds) {
  for (int64_t ns : {(int64_t{1} << 52) + 3, (int64_t{1} << 53) + 1, int64_t{9007199254740993},
                     INT64_MAX, INT64_MAX - 1, -((int64_t{1} << 53) + 1), INT64_MIN}) {
    std::string text = FormatDuration(Duration(ns));
    EXPECT_EQ(ParseDuration(text), Duration(ns)) << text;
  }
  EXPECT_EQ(ParseDuration("9007199254740993ns"), Duration(9007199254740993));
  EXPECT_EQ(ParseDuration("2562047h47m16.854775807s"), Duration(INT64_MAX));
  EXPECT_EQ(ParseDuration("-9223372036854775808ns"), Duration(INT64_MIN));
  EXPECT_FALSE(ParseDuration("9223372036854775808ns").has_value());
  EXPECT_EQ(ParseDuration("1.0000000005s"), Duration(1s));
  EXPECT_EQ(ParseDuration(".5s"), Duration(500ms));
  EXPECT_EQ(ParseDuration("5.s"), Duration(5s));
  EXPECT_EQ(ParseDuration("+1s"), Duration(1s));
  EXPECT_EQ(ParseDuration("1.5h"), Duration(90min));
  EXPECT_FALSE(ParseDuration(".s").has_value());
  EXPECT_FALSE(ParseDuration("1..5s").has_value());
}

}  // namespace
}  // namespace goim::conf
