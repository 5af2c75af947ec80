#include "pkg/discovery/instance_json.h"

#include <charconv>

#include "pkg/json/json.h"

namespace goim::discovery {

namespace {

constexpr std::string_view kGrpcScheme = "grpc://";

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const std::string* StringField(const json::Value& obj, std::string_view key) {
  const json::Value* v = obj.Find(key);
  return v && v->is_string() ? &v->AsString() : nullptr;
}

// goim writes every metadata value as a string; a number is accepted too.
bool MetaInt(const json::Value& meta, std::string_view key, int64_t* out, std::string* error) {
  const json::Value* v = meta.Find(key);
  if (!v) return true;
  if (v->is_int()) {
    *out = v->AsInt();
    return true;
  }
  if (v->is_string()) {
    const std::string& s = v->AsString();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec == std::errc() && p == s.data() + s.size()) return true;
  }
  *error = "metadata." + std::string(key) + " is not an integer";
  return false;
}

}  // namespace

std::string EncodeInstance(const Instance& in) {
  json::Writer w;
  w.BeginObject();
  w.Key("region").String(in.region).Key("zone").String(in.zone).Key("env").String(in.env);
  w.Key("appid").String(in.appid).Key("hostname").String(in.hostname);
  w.Key("addrs").BeginArray();
  if (!in.grpc.empty()) w.String(std::string(kGrpcScheme) + in.grpc);
  w.EndArray();
  w.Key("version").String("").Key("latest_timestamp").Int(in.updated_ns);
  w.Key("metadata").BeginObject();
  w.Key("addrs").String(Join(in.addrs));
  w.Key("weight").String(std::to_string(in.weight));
  w.Key("offline").String(in.offline ? "true" : "false");
  w.Key("conn_count").String(std::to_string(in.conn_count));
  w.Key("ip_count").String(std::to_string(in.ip_count));
  if (!in.epoch.empty()) w.Key("epoch").String(in.epoch);
  w.EndObject();
  w.EndObject();
  return w.Take();
}

bool DecodeInstance(std::string_view text, const std::string& appid, const std::string& hostname,
                    Instance* out, std::string* error) {
  json::Value v;
  if (!json::Parse(text, &v, error)) return false;
  if (!v.is_object()) return *error = "not a JSON object", false;
  const std::string* app = StringField(v, "appid");
  const std::string* host = StringField(v, "hostname");
  if (!app || !host) return *error = "appid or hostname missing", false;
  if (*app != appid) return *error = "appid '" + *app + "' under " + appid, false;
  if (*host != hostname) return *error = "hostname '" + *host + "' under key " + hostname, false;
  Instance in;
  in.appid = *app;
  in.hostname = *host;
  if (const std::string* s = StringField(v, "region")) in.region = *s;
  if (const std::string* s = StringField(v, "zone")) in.zone = *s;
  if (const std::string* s = StringField(v, "env")) in.env = *s;
  if (const json::Value* ts = v.Find("latest_timestamp"); ts && ts->is_int())
    in.updated_ns = ts->AsInt();
  if (const json::Value* addrs = v.Find("addrs")) {
    if (!addrs->is_array()) return *error = "addrs is not an array", false;
    for (const auto& a : addrs->AsArray()) {
      if (!a.is_string()) return *error = "addrs holds a non-string", false;
      const std::string& s = a.AsString();
      if (s.compare(0, kGrpcScheme.size(), kGrpcScheme) == 0 && in.grpc.empty())
        in.grpc = s.substr(kGrpcScheme.size());
    }
  }
  if (const json::Value* meta = v.Find("metadata")) {
    if (!meta->is_object()) return *error = "metadata is not an object", false;
    if (const std::string* s = StringField(*meta, "addrs")) in.addrs = Split(*s);
    if (const std::string* s = StringField(*meta, "offline")) {
      if (*s != "true" && *s != "false") return *error = "metadata.offline is not a bool", false;
      in.offline = *s == "true";
    }
    int64_t weight = in.weight;
    if (!MetaInt(*meta, "weight", &weight, error) ||
        !MetaInt(*meta, "conn_count", &in.conn_count, error) ||
        !MetaInt(*meta, "ip_count", &in.ip_count, error))
      return false;
    if (weight <= 0 || weight > (1 << 20)) return *error = "metadata.weight out of range", false;
    in.weight = static_cast<int32_t>(weight);
    if (const std::string* s = StringField(*meta, "epoch")) in.epoch = *s;
  }
  *out = std::move(in);
  return true;
}

}  // namespace goim::discovery
