#include "pkg/discovery/instance_json.h"

#include <charconv>
#include <cstdint>

#include <nlohmann/json.hpp>

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

// The member named key of an object, or nullptr.
const json::Json* Find(const json::Json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const std::string* StringField(const json::Json& obj, const char* key) {
  const json::Json* v = Find(obj, key);
  return v && v->is_string() ? v->get_ptr<const std::string*>() : nullptr;
}

// A number written without fraction or exponent that fits int64.
bool Int(const json::Json& v, int64_t* out) {
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() <= INT64_MAX) {
    *out = static_cast<int64_t>(v.get<uint64_t>());
    return true;
  }
  return false;
}

// goim writes every metadata value as a string; a number is accepted too.
bool MetaInt(const json::Json& meta, const char* key, int64_t* out, std::string* error) {
  const json::Json* v = Find(meta, key);
  if (!v || Int(*v, out)) return true;
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec == std::errc() && p == s.data() + s.size()) return true;
  }
  *error = "metadata." + std::string(key) + " is not an integer";
  return false;
}

json::Json Metadata(const Instance& in) {
  json::Json meta = json::Json::object();
  meta["addrs"] = Join(in.addrs);
  meta["weight"] = std::to_string(in.weight);
  meta["offline"] = in.offline ? "true" : "false";
  meta["conn_count"] = std::to_string(in.conn_count);
  meta["ip_count"] = std::to_string(in.ip_count);
  if (!in.epoch.empty()) meta["epoch"] = in.epoch;
  return meta;
}

}  // namespace

std::string EncodeInstance(const Instance& in) {
  json::Json v = json::Json::object();
  v["region"] = in.region;
  v["zone"] = in.zone;
  v["env"] = in.env;
  v["appid"] = in.appid;
  v["hostname"] = in.hostname;
  v["addrs"] = json::Json::array();
  if (!in.grpc.empty()) v["addrs"].push_back(std::string(kGrpcScheme) + in.grpc);
  v["version"] = "";
  v["latest_timestamp"] = in.updated_ns;
  v["metadata"] = Metadata(in);
  return json::Dump(v);
}

std::string EncodeMetadata(const Instance& in) { return json::Dump(Metadata(in)); }

bool DecodeInstance(std::string_view text, const std::string& appid, const std::string& hostname,
                    Instance* out, std::string* error) {
  json::Json v;
  if (!json::Parse(text, &v, error)) return false;
  return DecodeInstance(v, appid, hostname, out, error);
}

bool DecodeInstance(const json::Json& v, const std::string& appid, const std::string& hostname,
                    Instance* out, std::string* error) {
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
  if (const json::Json* ts = Find(v, "latest_timestamp")) Int(*ts, &in.updated_ns);
  if (const json::Json* ts = Find(v, "dirty_timestamp"); ts && in.updated_ns == 0)
    Int(*ts, &in.updated_ns);
  if (const json::Json* addrs = Find(v, "addrs")) {
    if (!addrs->is_array()) return *error = "addrs is not an array", false;
    for (const auto& a : *addrs) {
      if (!a.is_string()) return *error = "addrs holds a non-string", false;
      const std::string& s = a.get_ref<const std::string&>();
      if (s.compare(0, kGrpcScheme.size(), kGrpcScheme) == 0 && in.grpc.empty())
        in.grpc = s.substr(kGrpcScheme.size());
    }
  }
  if (const json::Json* meta = Find(v, "metadata")) {
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
