// Configuration: plain structs with defaults in code, overlaid by a YAML file, then by
// environment variables and flags, then validated, then read-only.
//
// A config struct lists its keys once, in `void Bind(conf::Binder& b)`:
//   b.Field("sndbuf", sndbuf); b.Section("tcp", tcp); b.List("nodes", nodes);
// The same Bind loads YAML (an unknown key, a value of the wrong type or shape stops the load
// with a message naming the full key, e.g. "tcp.sndbuf: expected an integer, got 'x'") and dumps
// the effective configuration as YAML.
//
// Command line (shared by every binary): -conf FILE; goim's -region -zone -deploy.env -host
// -weight -addrs -offline -debug (and env REGION ZONE DEPLOY_ENV HOST WEIGHT ADDRS OFFLINE DEBUG),
// which set env.<name>; -set key.path=value for any other key (repeatable); -dump-config.
// Precedence: defaults < file < environment < flags.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "pkg/conf/duration.h"

namespace goim::conf {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Binder {
 public:
  // Loading binder over a parsed document (a map or null).
  explicit Binder(const YAML::Node& root);
  // Dumping binder: Bind() writes the values into the emitter.
  explicit Binder(YAML::Emitter* out);

  bool loading() const { return out_ == nullptr; }

  void Field(const char* key, bool& v) { Scalar(key, v); }
  void Field(const char* key, int32_t& v) { Scalar(key, v); }
  void Field(const char* key, int64_t& v) { Scalar(key, v); }
  void Field(const char* key, uint32_t& v) { Scalar(key, v); }
  void Field(const char* key, double& v) { Scalar(key, v); }
  void Field(const char* key, std::string& v) { Scalar(key, v); }
  void Field(const char* key, Duration& v) { Scalar(key, v); }
  // A YAML sequence; a single comma-separated string is accepted too (flags and env).
  void Field(const char* key, std::vector<std::string>& v) { Scalar(key, v); }
  void Field(const char* key, std::vector<int32_t>& v) { Scalar(key, v); }
  // A map of strings (e.g. librdkafka properties, router node name -> address).
  void Field(const char* key, std::map<std::string, std::string>& v) { Scalar(key, v); }

  template <class S>
  void Section(const char* key, S& s) {
    Enter(key);
    s.Bind(*this);
    Leave();
  }

  // A sequence of sections.
  template <class S>
  void List(const char* key, std::vector<S>& v) {
    size_t n = EnterList(key, v.size());
    if (loading()) v.assign(n, S{});
    for (size_t i = 0; i < v.size(); ++i) {
      EnterItem(i);
      v[i].Bind(*this);
      LeaveItem();
    }
    LeaveList();
  }

  // Called after the root Bind: fails on keys nobody bound.
  void Finish();

 private:
  struct Frame {
    YAML::Node node;
    std::string path;
    std::vector<std::string> seen;
  };
  template <class T>
  void Scalar(const char* key, T& v);
  std::string PathOf(const char* key) const;
  const YAML::Node* Lookup(const char* key);
  void Enter(const char* key);
  void Leave();
  size_t EnterList(const char* key, size_t dump_size);
  void EnterItem(size_t i);
  void LeaveItem();
  void LeaveList();
  void CheckUnknown(const Frame& f) const;

  YAML::Emitter* out_ = nullptr;
  std::vector<Frame> stack_;
  YAML::Node found_;
};

// A section that is one address, {addr: ":3109"}: every service's rpcServer and metrics.
struct AddrSection {
  std::string addr;
  void Bind(Binder& b) { b.Field("addr", addr); }
};

// What the command line and the environment asked for.
struct Options {
  std::string conf_file;                                  // -conf
  std::vector<std::pair<std::string, std::string>> sets;  // key path -> YAML scalar text
  bool dump = false;                                      // -dump-config
  bool help = false;                                      // -h, -help
};

// Parses argv (and the environment) into Options; throws Error on an unknown flag.
Options ParseCommandLine(int argc, char** argv, const char* default_conf);

// What -h prints: every flag, the environment variables behind goim's, where the keys are.
std::string Usage(const std::string& prog, const char* default_conf);

// Reads the file (when named), applies the overrides and binds it all into cfg.
// Throws Error with a message naming the key or the file.
template <class Config>
void Load(const Options& opts, Config* cfg);

// The effective configuration as YAML.
template <class Config>
std::string Dump(Config& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  Binder b(&out);
  cfg.Bind(b);
  out << YAML::EndMap;
  return out.c_str();
}

// Parses text as a document, applies overrides; the building block of Load (and of tests).
YAML::Node BuildDocument(const std::string& text, const Options& opts);

template <class Config>
void LoadText(const std::string& text, const Options& opts, Config* cfg) {
  YAML::Node root = BuildDocument(text, opts);
  Binder b(root);
  cfg->Bind(b);
  b.Finish();
}

std::string ReadFile(const std::string& path);

template <class Config>
void Load(const Options& opts, Config* cfg) {
  std::string text;
  if (!opts.conf_file.empty()) text = ReadFile(opts.conf_file);
  try {
    LoadText(text, opts, cfg);
  } catch (const Error& e) {
    throw Error((opts.conf_file.empty() ? std::string("config") : opts.conf_file) + ": " +
                e.what());
  }
}

}  // namespace goim::conf
