#include "logic/auth.h"

#include <random>
#include <utility>

#include "pkg/hash/base64.h"
#include "pkg/hash/digest.h"
#include "pkg/json/json.h"

namespace goim::logic {

std::string ParseToken(std::string_view text, AuthToken* out) {
  json::Value v;
  std::string err;
  if (!json::Parse(text, &v, &err)) return "token: not JSON: " + err;
  if (!v.is_object()) return "token: not a JSON object";
  *out = AuthToken();
  if (const auto* m = v.Find("mid"); m && !m->is_null()) {
    if (!m->is_int()) return "token: mid must be an integer";
    out->mid = m->AsInt();
  }
  using StringField = std::pair<const char*, std::string*>;
  for (auto [name, field] : {StringField{"key", &out->key}, StringField{"room_id", &out->room_id},
                             StringField{"platform", &out->platform}}) {
    if (const auto* m = v.Find(name); m && !m->is_null()) {
      if (!m->is_string()) return std::string("token: ") + name + " must be a string";
      *field = m->AsString();
    }
  }
  if (const auto* a = v.Find("accepts"); a && !a->is_null()) {
    if (!a->is_array()) return "token: accepts must be an array of integers";
    for (const auto& op : a->AsArray()) {
      if (!op.is_int() || op.AsInt() < INT32_MIN || op.AsInt() > INT32_MAX)
        return "token: accepts must be an array of int32";
      out->accepts.push_back(static_cast<int32_t>(op.AsInt()));
    }
  }
  if (const auto* c = v.Find("compress"); c && !c->is_null()) {
    if (!c->is_string()) return "token: compress must be a string";
    out->compress = c->AsString();
  }
  if (const auto* e = v.Find("exp"); e && !e->is_null()) {
    if (!e->is_int()) return "token: exp must be an integer";
    out->exp = e->AsInt();
  }
  return "";
}

namespace {
std::string Mac(std::string_view data, const std::string& secret) {
  hash::Sha256Digest d = hash::HmacSha256(secret, data);
  return hash::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}
}  // namespace

std::string VerifyToken(std::string_view token, const std::string& secret, int64_t now_unix,
                        AuthToken* out) {
  if (secret.empty()) return ParseToken(token, out);
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return "token: not signed";
  std::string_view claims = token.substr(0, dot);
  std::string_view sig = token.substr(dot + 1);
  if (!hash::ConstantTimeEqual(Mac(claims, secret), sig)) return "token: bad signature";
  auto json = hash::Base64Decode(claims);
  if (!json) return "token: claims are not base64url";
  if (std::string err = ParseToken(*json, out); !err.empty()) return err;
  if (out->exp == 0) return "token: signed token has no exp";
  if (out->exp < now_unix) return "token: expired";
  return "";
}

std::string SignToken(std::string_view claims_json, const std::string& secret) {
  std::string claims = hash::Base64UrlEncode(claims_json);
  return claims + "." + Mac(claims, secret);
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    uint8_t b = static_cast<uint8_t>(i < 8 ? hi >> (56 - 8 * i) : lo >> (56 - 8 * (i - 8)));
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace goim::logic
