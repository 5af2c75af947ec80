#include "pkg/json/json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace goim::json {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr int kMaxDepth = 64;

// The length of the valid UTF-8 sequence starting at s[i] (no overlongs, no surrogates, at most
// U+10FFFF), or 0 when s[i] does not start one.
size_t Utf8Len(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

// Appends the sequence at s[*i] and steps past it; a byte that does not start a valid sequence
// becomes U+FFFD on its own (Go replaces byte by byte).
void AppendValidUtf8(std::string* out, std::string_view s, size_t* i) {
  size_t n = Utf8Len(s, *i);
  if (n == 0) {
    *out += kReplacement;
    *i += 1;
  } else {
    out->append(s.data() + *i, n);
    *i += n;
  }
}

// The code unit of the \uXXXX escape whose hex digits start at s[i], or -1.
int Hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 4, v, 16);
  return ec == std::errc() && p == s.data() + i + 4 ? v : -1;
}

// Walks a JSON text outside and inside its strings. Checks the nesting; answers whether Go would
// read anything differently from nlohmann (a byte >= 0x80, which may be invalid UTF-8, or a
// surrogate escape, which may be unpaired) and so Repair is needed.
bool Check(std::string_view in, bool* repair, std::string* error) {
  int depth = 0;
  bool in_string = false;
  *repair = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      *repair = true;
    } else if (!in_string) {
      if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        if (++depth > kMaxDepth) {
          *error = "nesting too deep (over 64 levels) at offset " + std::to_string(i);
          return false;
        }
      } else if (c == ']' || c == '}') {
        --depth;
      }
    } else if (c == '"') {
      in_string = false;
    } else if (c == '\\' && i + 1 < in.size()) {
      int unit = in[i + 1] == 'u' ? Hex4(in, i + 2) : -1;
      if (unit >= 0xD800 && unit < 0xE000) *repair = true;
      ++i;  // the escaped character: an escaped quote stays inside the string
    }
  }
  return true;
}

// Go's reading made explicit for nlohmann: bytes that are not UTF-8 become U+FFFD byte by byte,
// and a surrogate escape that is not the high half of a pair becomes \ufffd (an escape after it
// is read on its own). Everything else, malformed escapes included, is left for nlohmann to judge.
std::string Repair(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 8);
  bool in_string = false;
  for (size_t i = 0; i < in.size();) {
    char c = in[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      AppendValidUtf8(&out, in, &i);
      continue;
    }
    if (!in_string) {
      in_string = c == '"';
    } else if (c == '"') {
      in_string = false;
    } else if (c == '\\' && i + 1 < in.size()) {
      int unit = in[i + 1] == 'u' ? Hex4(in, i + 2) : -1;
      if (unit >= 0xD800 && unit < 0xE000) {
        bool pair = unit < 0xDC00 && in.substr(i + 6, 2) == "\\u";
        int low = pair ? Hex4(in, i + 8) : -1;
        size_t n = low >= 0xDC00 && low < 0xE000 ? 12 : 6;
        out += n == 12 ? in.substr(i, 12) : std::string_view("\\ufffd");
        i += n;
        continue;
      }
      out += c;  // the escaped character is copied next
      ++i;
      c = in[i];
      if (static_cast<unsigned char>(c) >= 0x80) continue;
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) AppendValidUtf8(&out, s, &i);
  return out;
}

bool Prepare(std::string_view in, std::string* storage, std::string_view* text,
             std::string* error) {
  bool repair;
  if (!Check(in, &repair, error)) return false;
  if (repair) {
    *storage = Repair(in);
    *text = *storage;
  } else {
    *text = in;
  }
  return true;
}

bool Parse(std::string_view text, Json* out, std::string* error) {
  std::string storage;
  std::string_view prepared;
  if (!Prepare(text, &storage, &prepared, error)) return false;
  try {
    // Offsets in nlohmann's message count in the repaired text (they differ past a repair).
    *out = Json::parse(prepared);
  } catch (const Json::parse_error& e) {
    *error = e.what();
    return false;
  }
  return true;
}

namespace {

// Whether key equals field (ASCII) under Go's folding: ASCII letters without case, and the two
// non-ASCII runes whose fold orbit holds an ASCII letter (K U+212A ~ k, long s U+017F ~ s).
bool FoldEqual(std::string_view key, std::string_view field) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  size_t i = 0;
  for (char f : field) {
    if (i >= key.size()) return false;
    char lf = lower(f);
    if (key.substr(i, 3) == "\xE2\x84\xAA" && lf == 'k') {
      i += 3;
    } else if (key.substr(i, 2) == "\xC5\xBF" && lf == 's') {
      i += 2;
    } else if (lower(key[i]) == lf) {
      ++i;
    } else {
      return false;
    }
  }
  return i == key.size();
}

}  // namespace

int GoField(std::string_view key, std::span<const std::string_view> fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == key) return static_cast<int>(i);
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (FoldEqual(key, fields[i])) return static_cast<int>(i);
  }
  return -1;
}

std::string Dump(const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); }

namespace {
template <class T>
Json GoNumber(T v) {
  if (!std::isfinite(v)) return nullptr;
  double d = static_cast<double>(v);
  if constexpr (std::is_same_v<T, float>) {
    // The float's shortest decimal, read as a double: nlohmann then writes that decimal.
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    *p = '\0';
    d = std::strtod(buf, nullptr);
  }
  if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) return static_cast<int64_t>(d);
  return d;
}
}  // namespace

Json Float64(double v) { return GoNumber(v); }
Json Float32(float v) { return GoNumber(v); }

}  // namespace goim::json
