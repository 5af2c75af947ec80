#include "pkg/conf/conf.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "pkg/strings/strings.h"

namespace goim::conf {

namespace {

std::string Describe(const YAML::Node& n) {
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  if (n.IsSequence()) return "a sequence";
  if (n.IsMap()) return "a map";
  return "nothing";
}

template <class Int>
Int ParseInt(const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) throw Error(path + ": expected an integer, got " + Describe(n));
  const std::string& s = n.Scalar();
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) throw Error(path + ": " + s + " is out of range");
  if (ec != std::errc() || p != s.data() + s.size())
    throw Error(path + ": expected an integer, got '" + s + "'");
  return v;
}

std::vector<std::string> SplitList(const YAML::Node& n, const std::string& path) {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (n.IsScalar()) return strings::SplitNonEmpty(n.Scalar(), ',');
  if (!n.IsSequence()) throw Error(path + ": expected a list, got " + Describe(n));
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar())
      throw Error(path + "[" + std::to_string(i) + "]: expected a value, got " + Describe(n[i]));
    out.push_back(n[i].Scalar());
  }
  return out;
}

void Convert(const YAML::Node& n, bool& v, const std::string& path) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on" || s == "1") {
      v = true;
      return;
    }
    if (s == "false" || s == "no" || s == "off" || s == "0") {
      v = false;
      return;
    }
  }
  throw Error(path + ": expected true or false, got " + Describe(n));
}
void Convert(const YAML::Node& n, int32_t& v, const std::string& path) {
  v = ParseInt<int32_t>(n, path);
}
void Convert(const YAML::Node& n, int64_t& v, const std::string& path) {
  v = ParseInt<int64_t>(n, path);
}
void Convert(const YAML::Node& n, uint32_t& v, const std::string& path) {
  v = ParseInt<uint32_t>(n, path);
}
void Convert(const YAML::Node& n, double& v, const std::string& path) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) {
      v = d;
      return;
    }
  }
  throw Error(path + ": expected a number, got " + Describe(n));
}
void Convert(const YAML::Node& n, std::string& v, const std::string& path) {
  if (n.IsNull()) {
    v.clear();
    return;
  }
  if (!n.IsScalar()) throw Error(path + ": expected a string, got " + Describe(n));
  v = n.Scalar();
}
void Convert(const YAML::Node& n, Duration& v, const std::string& path) {
  if (n.IsScalar()) {
    if (auto d = ParseDuration(n.Scalar())) {
      v = *d;
      return;
    }
  }
  throw Error(path + ": expected a duration such as 10s, 250ms or 8m, got " + Describe(n));
}
void Convert(const YAML::Node& n, std::vector<std::string>& v, const std::string& path) {
  v = SplitList(n, path);
}
void Convert(const YAML::Node& n, std::vector<int32_t>& v, const std::string& path) {
  v.clear();
  for (const std::string& s : SplitList(n, path))
    v.push_back(ParseInt<int32_t>(YAML::Node(s), path));
}
void Convert(const YAML::Node& n, std::map<std::string, std::string>& v, const std::string& path) {
  v.clear();
  if (n.IsNull()) return;
  if (!n.IsMap()) throw Error(path + ": expected a map, got " + Describe(n));
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    if (!it->second.IsScalar())
      throw Error(path + "." + k + ": expected a value, got " + Describe(it->second));
    v[k] = it->second.Scalar();
  }
}

void Emit(YAML::Emitter& e, bool v) { e << (v ? "true" : "false"); }
void Emit(YAML::Emitter& e, int32_t v) { e << v; }
void Emit(YAML::Emitter& e, int64_t v) { e << v; }
void Emit(YAML::Emitter& e, uint32_t v) { e << v; }
void Emit(YAML::Emitter& e, double v) { e << v; }
void Emit(YAML::Emitter& e, const std::string& v) { e << YAML::DoubleQuoted << v; }
void Emit(YAML::Emitter& e, Duration v) { e << FormatDuration(v); }
void Emit(YAML::Emitter& e, const std::vector<std::string>& v) {
  e << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : v) e << YAML::DoubleQuoted << s;
  e << YAML::EndSeq;
}
void Emit(YAML::Emitter& e, const std::vector<int32_t>& v) {
  e << YAML::Flow << YAML::BeginSeq;
  for (int32_t x : v) e << x;
  e << YAML::EndSeq;
}
void Emit(YAML::Emitter& e, const std::map<std::string, std::string>& v) {
  e << YAML::BeginMap;
  for (const auto& [k, s] : v) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << s;
  e << YAML::EndMap;
}

}  // namespace

Binder::Binder(const YAML::Node& root) {
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    throw Error("the document must be a map of sections");
  stack_.push_back(Frame{root, "", {}});
}

Binder::Binder(YAML::Emitter* out) : out_(out) {}

std::string Binder::PathOf(const char* key) const {
  const std::string& base = stack_.back().path;
  return base.empty() ? std::string(key) : base + "." + key;
}

const YAML::Node* Binder::Lookup(const char* key) {
  Frame& f = stack_.back();
  if (!f.node.IsDefined() || !f.node.IsMap()) return nullptr;
  const YAML::Node& cn = f.node;
  YAML::Node child = cn[key];
  if (!child.IsDefined()) return nullptr;
  f.seen.emplace_back(key);
  found_.reset(child);
  return &found_;
}

template <class T>
void Binder::Scalar(const char* key, T& v) {
  if (!loading()) {
    *out_ << YAML::Key << key << YAML::Value;
    Emit(*out_, v);
    return;
  }
  if (const YAML::Node* n = Lookup(key)) Convert(*n, v, PathOf(key));
}

template void Binder::Scalar(const char*, bool&);
template void Binder::Scalar(const char*, int32_t&);
template void Binder::Scalar(const char*, int64_t&);
template void Binder::Scalar(const char*, uint32_t&);
template void Binder::Scalar(const char*, double&);
template void Binder::Scalar(const char*, std::string&);
template void Binder::Scalar(const char*, Duration&);
template void Binder::Scalar(const char*, std::vector<std::string>&);
template void Binder::Scalar(const char*, std::vector<int32_t>&);
template void Binder::Scalar(const char*, std::map<std::string, std::string>&);

void Binder::Enter(const char* key) {
  if (!loading()) {
    *out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    return;
  }
  std::string path = PathOf(key);
  YAML::Node child;
  if (const YAML::Node* n = Lookup(key)) {
    if (!n->IsNull() && !n->IsMap())
      throw Error(path + ": expected a map of keys, got " + Describe(*n));
    child.reset(*n);
  }
  stack_.push_back(Frame{child, path, {}});
}

void Binder::Leave() {
  if (!loading()) {
    *out_ << YAML::EndMap;
    return;
  }
  CheckUnknown(stack_.back());
  stack_.pop_back();
}

size_t Binder::EnterList(const char* key, size_t dump_size) {
  if (!loading()) {
    *out_ << YAML::Key << key << YAML::Value << YAML::BeginSeq;
    return dump_size;
  }
  std::string path = PathOf(key);
  const YAML::Node* n = Lookup(key);
  if (n && !n->IsNull() && !n->IsSequence())
    throw Error(path + ": expected a list, got " + Describe(*n));
  YAML::Node seq;
  if (n) seq.reset(*n);
  stack_.push_back(Frame{seq, path, {}});
  if (!n) return dump_size;  // absent: keep the defaults
  return n->IsNull() ? 0 : n->size();
}

void Binder::EnterItem(size_t i) {
  if (!loading()) {
    *out_ << YAML::BeginMap;
    return;
  }
  Frame& list = stack_.back();
  std::string path = list.path + "[" + std::to_string(i) + "]";
  YAML::Node item;
  if (list.node.IsDefined() && list.node.IsSequence()) {
    item.reset(list.node[i]);
    if (!item.IsMap()) throw Error(path + ": expected a map of keys, got " + Describe(item));
  }
  stack_.push_back(Frame{item, path, {}});
}

void Binder::LeaveItem() { Leave(); }

void Binder::LeaveList() {
  if (!loading()) {
    *out_ << YAML::EndSeq;
    return;
  }
  stack_.pop_back();
}

void Binder::CheckUnknown(const Frame& f) const {
  if (!f.node.IsDefined() || !f.node.IsMap()) return;
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    std::string k = it->first.Scalar();
    bool known = false;
    for (const auto& s : f.seen) known = known || s == k;
    if (!known) throw Error((f.path.empty() ? k : f.path + "." + k) + ": unknown key");
  }
}

void Binder::Finish() {
  if (loading() && !stack_.empty()) CheckUnknown(stack_.front());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

YAML::Node BuildDocument(const std::string& text, const Options& opts) {
  YAML::Node root;
  try {
    root = text.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(std::string("YAML: ") + e.what());
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw Error("the document must be a map of sections");
  for (const auto& [path, value] : opts.sets) {
    YAML::Node cur(root);
    size_t start = 0;
    for (;;) {
      size_t dot = path.find('.', start);
      std::string part =
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (part.empty()) throw Error(path + ": bad key path");
      if (dot == std::string::npos) {
        YAML::Node leaf;
        try {
          leaf = YAML::Load(value);
        } catch (const YAML::Exception&) {
          leaf = YAML::Node(value);
        }
        if (!leaf.IsDefined() || leaf.IsNull()) leaf = YAML::Node(value);
        cur[part] = leaf;
        break;
      }
      YAML::Node next = cur[part];
      if (!next.IsMap()) {
        cur[part] = YAML::Node(YAML::NodeType::Map);
        next.reset(cur[part]);
      }
      cur.reset(next);
      start = dot + 1;
    }
  }
  return root;
}

namespace {

// goim's flags and the environment variables behind them, with the key each one sets.
struct GoimFlag {
  const char* flag;
  const char* env;
  const char* key;
  bool boolean;
};
constexpr GoimFlag kGoimFlags[] = {
    {"region", "REGION", "env.region", false},
    {"zone", "ZONE", "env.zone", false},
    {"deploy.env", "DEPLOY_ENV", "env.deployEnv", false},
    {"host", "HOST", "env.host", false},
    {"weight", "WEIGHT", "env.weight", false},
    {"addrs", "ADDRS", "env.addrs", false},
    {"offline", "OFFLINE", "env.offline", true},
    {"debug", "DEBUG", "env.debug", true},
};

std::string Quote(const std::string& s) {
  // Env and goim flags are plain strings: quote them so YAML keeps them as scalars.
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Options ParseCommandLine(int argc, char** argv, const char* default_conf) {
  Options opts;
  opts.conf_file = default_conf ? default_conf : "";
  for (const GoimFlag& f : kGoimFlags) {
    if (const char* v = std::getenv(f.env); v && *v) opts.sets.emplace_back(f.key, Quote(v));
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') throw Error("unexpected argument '" + arg + "'");
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto need_value = [&]() {
      if (has_value) return;
      if (i + 1 >= argc) throw Error("flag -" + name + " needs a value");
      value = argv[++i];
      has_value = true;
    };
    if (name == "conf") {
      need_value();
      opts.conf_file = value;
    } else if (name == "set") {
      need_value();
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error("-set wants key.path=value, got '" + value + "'");
      opts.sets.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (name == "dump-config") {
      opts.dump = true;
    } else if (name == "h" || name == "help") {
      opts.help = true;
    } else {
      const GoimFlag* found = nullptr;
      for (const GoimFlag& f : kGoimFlags) found = (name == f.flag) ? &f : found;
      if (!found) throw Error("unknown flag -" + name);
      if (found->boolean && !has_value)
        value = "true";
      else
        need_value();
      opts.sets.emplace_back(found->key, Quote(value));
    }
  }
  return opts;
}

std::string Usage(const std::string& prog, const char* default_conf) {
  std::string u =
      "usage: " + prog + " [-conf FILE] [-set key.path=value]... [-dump-config] [goim flags]\n";
  u += "  -conf FILE            the YAML configuration";
  u += default_conf && *default_conf ? std::string(" (default ") + default_conf + ")\n"
                                     : std::string("\n");
  u += "  -set key.path=value   overrides one key of it, e.g. -set protocol.loops=4 (repeatable)\n";
  u += "  -dump-config          prints the effective configuration (every key) and exits\n";
  u += "  goim's flags, each also read from the environment variable named (the flag wins):\n";
  for (const GoimFlag& f : kGoimFlags) {
    std::string flag = std::string("-") + f.flag + (f.boolean ? "" : " VALUE");
    u += "  " + flag + std::string(flag.size() < 20 ? 20 - flag.size() : 1, ' ') + "  " + f.env +
         ", sets " + f.key + "\n";
  }
  u += "Every key, its default and what it does: the commented files in configs/.\n";
  return u;
}

}  // namespace goim::conf
