#include "pkg/websocket/deflate.h"

#include <cctype>
#include <optional>
#include <vector>

namespace goim::websocket {

namespace {

constexpr std::string_view kWhitespace = " \t";

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(kWhitespace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kWhitespace) - b + 1);
}

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// The parts of s between `sep`s that are outside quoted strings.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

// A parameter value: a token, or a quoted string unescaped.
std::string Unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

// RFC 7692 7.1.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive".
std::optional<int> WindowBits(const std::string& v) {
  if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return std::nullopt;
}

// One permessage-deflate offer's parameters: "" when acceptable (*out filled), else why not.
std::string Offer(const std::vector<std::string_view>& params, DeflateAgreement* out) {
  bool seen[4] = {false, false, false, false};
  static constexpr std::string_view kNames[4] = {
      "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
      "client_max_window_bits"};
  std::optional<int> server_bits;
  for (std::string_view p : params) {
    p = Trim(p);
    size_t eq = p.find('=');
    std::string_view name = Trim(p.substr(0, eq));
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = Unquote(Trim(p.substr(eq + 1)));
    int k = 0;
    while (k < 4 && !EqualFold(name, kNames[k])) ++k;
    if (k == 4) return "unknown parameter '" + std::string(name) + "'";
    if (seen[k]) return std::string(kNames[k]) + " given twice";
    seen[k] = true;
    if (k < 2) {
      if (value) return std::string(kNames[k]) + " takes no value";
      continue;
    }
    if (!value) {
      if (k == 3) continue;  // client_max_window_bits without a value: the client supports it
      return "server_max_window_bits needs a value";
    }
    std::optional<int> bits = WindowBits(*value);
    if (!bits) return std::string(kNames[k]) + "=" + *value + " is not in 8..15";
    if (k == 2) server_bits = bits;
  }
  out->server_max_window_bits = server_bits.value_or(15);
  out->response = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
  if (server_bits) out->response += "; server_max_window_bits=" + std::to_string(*server_bits);
  return "";
}

}  // namespace

Negotiation NegotiateDeflate(std::string_view header, DeflateAgreement* out, std::string* why) {
  bool offered = false;
  for (std::string_view ext : Split(header, ',')) {
    std::vector<std::string_view> parts = Split(ext, ';');
    if (!EqualFold(Trim(parts[0]), "permessage-deflate")) continue;  // another extension
    parts.erase(parts.begin());
    std::string problem = Offer(parts, out);
    if (problem.empty()) return Negotiation::kAccepted;
    if (!offered && why) *why = std::move(problem);
    offered = true;
  }
  return offered ? Negotiation::kDeclined : Negotiation::kNone;
}

}  // namespace goim::websocket
