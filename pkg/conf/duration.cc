#include "pkg/conf/duration.h"

#include <cstdint>

namespace goim::conf {

namespace {

constexpr uint64_t kMax = uint64_t{1} << 63;  // |INT64_MIN|: the largest magnitude

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The leading digits of s as an integer, consumed. False when it passes 2^63 (Go's leadingInt).
bool LeadingInt(std::string_view& s, uint64_t* x) {
  size_t i = 0;
  *x = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (*x > kMax / 10) return false;
    *x = *x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (*x > kMax) return false;
  }
  s.remove_prefix(i);
  return true;
}

// The leading digits of a fraction, consumed: f / scale is their value. Digits past what uint64
// holds are dropped (Go's leadingFraction).
void LeadingFraction(std::string_view& s, uint64_t* f, double* scale) {
  size_t i = 0;
  bool overflow = false;
  *f = 0;
  *scale = 1;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    if (overflow) continue;
    if (*f > (kMax - 1) / 10) {
      overflow = true;
      continue;
    }
    uint64_t y = *f * 10 + static_cast<uint64_t>(s[i] - '0');
    if (y > kMax) {
      overflow = true;
      continue;
    }
    *f = y;
    *scale *= 10;
  }
  s.remove_prefix(i);
}

uint64_t UnitNs(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs")
    return 1000;  // us, µs (U+00B5), μs (U+03BC)
  if (u == "ms") return 1000000;
  if (u == "s") return 1000000000;
  if (u == "m") return 60 * uint64_t{1000000000};
  if (u == "h") return 3600 * uint64_t{1000000000};
  return 0;
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view s) {
  // Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with integers kept exact; the
  // fraction of a component adds through a double and is cut, as Go's.
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration::zero();
  if (s.empty()) return std::nullopt;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return std::nullopt;
    size_t before = s.size();
    uint64_t v;
    if (!LeadingInt(s, &v)) return std::nullopt;
    bool pre = s.size() != before;
    uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      before = s.size();
      LeadingFraction(s, &f, &scale);
      post = s.size() != before;
    }
    if (!pre && !post) return std::nullopt;  // "." or ".s"
    size_t i = 0;
    while (i < s.size() && s[i] != '.' && !IsDigit(s[i])) ++i;
    uint64_t unit = UnitNs(s.substr(0, i));
    if (unit == 0) return std::nullopt;  // missing or unknown unit
    s.remove_prefix(i);
    if (v > kMax / unit) return std::nullopt;
    v *= unit;
    if (f > 0) {
      v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMax) return std::nullopt;
    }
    total += v;
    if (total > kMax) return std::nullopt;
  }
  if (neg) return Duration(static_cast<int64_t>(0 - total));  // 2^63 wraps to INT64_MIN
  if (total > kMax - 1) return std::nullopt;
  return Duration(static_cast<int64_t>(total));
}

std::string FormatDuration(Duration d) {
  int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out = count < 0 ? "-" : "";
  // The magnitude as unsigned: |INT64_MIN| does not fit int64.
  uint64_t ns = count < 0 ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  if (ns % 1000000 != 0) {
    if (ns % 1000 == 0) return out + std::to_string(ns / 1000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  uint64_t ms = ns / 1000000;
  if (ms % 1000 != 0) return out + std::to_string(ms) + "ms";
  uint64_t sec = ms / 1000;
  uint64_t h = sec / 3600, m = sec % 3600 / 60, s = sec % 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  return out;
}

}  // namespace goim::conf
