#include "pkg/json/json.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace goim::json {

const Value* Value::Find(std::string_view key) const {
  for (const auto& [k, v] : obj_) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

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

// Appends s[i..] up to the next byte needing care, replacing bytes that do not start valid UTF-8
// with U+FFFD one by one (as Go's encoding/json does); returns where it stopped.
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

}  // namespace

std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) AppendValidUtf8(&out, s, &i);
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  bool Document(Value* out, std::string* error) {
    SkipSpace();
    if (!ParseValue(out, 0)) {
      *error = err_ + " at offset " + std::to_string(pos_);
      return false;
    }
    SkipSpace();
    if (pos_ != in_.size()) {
      *error = "trailing characters at offset " + std::to_string(pos_);
      return false;
    }
    return true;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool Fail(const char* msg) {
    err_ = msg;
    return false;
  }
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r'))
      ++pos_;
  }
  bool Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Value* v, int depth) {
    if (depth > kMaxDepth) return Fail("nesting too deep");
    if (pos_ >= in_.size()) return Fail("unexpected end");
    char c = in_[pos_];
    switch (c) {
      case '{':
        return ParseObject(v, depth);
      case '[':
        return ParseArray(v, depth);
      case '"':
        v->type_ = Value::Type::kString;
        return ParseString(&v->s_);
      case 't':
        v->type_ = Value::Type::kBool;
        v->b_ = true;
        return Literal("true");
      case 'f':
        v->type_ = Value::Type::kBool;
        v->b_ = false;
        return Literal("false");
      case 'n':
        v->type_ = Value::Type::kNull;
        return Literal("null");
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(v);
        return Fail("unexpected character");
    }
  }

  bool ParseObject(Value* v, int depth) {
    v->type_ = Value::Type::kObject;
    ++pos_;
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != '"') return Fail("expected object key");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      SkipSpace();
      v->obj_.emplace_back(std::move(key), Value());
      if (!ParseValue(&v->obj_.back().second, depth + 1)) return false;
      SkipSpace();
      if (pos_ >= in_.size()) return Fail("unexpected end in object");
      if (in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (in_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool ParseArray(Value* v, int depth) {
    v->type_ = Value::Type::kArray;
    ++pos_;
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      v->arr_.emplace_back();
      if (!ParseValue(&v->arr_.back(), depth + 1)) return false;
      SkipSpace();
      if (pos_ >= in_.size()) return Fail("unexpected end in array");
      if (in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (in_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool Hex4(uint32_t* cp) {
    if (pos_ + 4 > in_.size()) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return Fail("bad \\u escape");
    }
    *cp = v;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    for (;;) {
      if (pos_ >= in_.size()) return Fail("unterminated string");
      char c = in_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (static_cast<unsigned char>(c) >= 0x80) {
        --pos_;
        AppendValidUtf8(out, in_, &pos_);
        continue;
      }
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= in_.size()) return Fail("unterminated escape");
      char e = in_[pos_++];
      switch (e) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && in_.substr(pos_, 2) == "\\u") {
            size_t back = pos_;
            pos_ += 2;
            uint32_t lo;
            if (!Hex4(&lo)) return false;
            if (lo >= 0xDC00 && lo < 0xE000)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            else
              pos_ = back;  // not a pair: the second escape stands on its own
          }
          if (cp >= 0xD800 && cp < 0xE000)
            *out += kReplacement;  // an unpaired surrogate, as Go
          else
            AppendUtf8(out, cp);
          break;
        }
        default:
          return Fail("bad escape");
      }
    }
  }

  bool ParseNumber(Value* v) {
    size_t start = pos_;
    bool integral = true;
    if (in_[pos_] == '-') ++pos_;
    if (pos_ >= in_.size() || !(in_[pos_] >= '0' && in_[pos_] <= '9')) return Fail("bad number");
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= in_.size() || !(in_[pos_] >= '0' && in_[pos_] <= '9')) return Fail("bad number");
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (pos_ >= in_.size() || !(in_[pos_] >= '0' && in_[pos_] <= '9')) return Fail("bad number");
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    }
    std::string_view text = in_.substr(start, pos_ - start);
    v->type_ = Value::Type::kNumber;
    if (integral) {
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v->i_);
      if (ec == std::errc() && p == text.data() + text.size()) {
        v->integral_ = true;
        return true;
      }
    }
    std::string copy(text);
    v->d_ = std::strtod(copy.c_str(), nullptr);
    v->integral_ = false;
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string err_;
};

bool Parse(std::string_view text, Value* out, std::string* error) {
  *out = Value();
  return Parser(text).Document(out, error);
}

void AppendQuoted(std::string* out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  *out += '"';
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      AppendValidUtf8(out, s, &i);  // invalid bytes become U+FFFD, as Go's encoder
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          *out += "\\u00";
          *out += kHex[(c >> 4) & 0xF];
          *out += kHex[c & 0xF];
        } else {
          *out += c;
        }
    }
  }
  *out += '"';
}

void Writer::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

Writer& Writer::Open(char c) {
  Separate();
  out_ += c;
  first_.push_back(true);
  return *this;
}

Writer& Writer::Close(char c) {
  out_ += c;
  if (!first_.empty()) first_.pop_back();
  return *this;
}

Writer& Writer::Key(std::string_view k) {
  Separate();
  AppendQuoted(&out_, k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

Writer& Writer::String(std::string_view s) {
  Separate();
  AppendQuoted(&out_, s);
  return *this;
}

Writer& Writer::Int(int64_t v) {
  Separate();
  out_ += std::to_string(v);
  return *this;
}

namespace {
// The shortest text that reads back as v in its own type (a float 1.8 is "1.8"); null if not
// finite.
template <class T>
void AppendNumber(std::string* out, T v) {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, p);
}
}  // namespace

Writer& Writer::Double(double v) {
  Separate();
  AppendNumber(&out_, v);
  return *this;
}

Writer& Writer::Float(float v) {
  Separate();
  AppendNumber(&out_, v);
  return *this;
}

Writer& Writer::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  return *this;
}

Writer& Writer::Null() {
  Separate();
  out_ += "null";
  return *this;
}

Writer& Writer::Raw(std::string_view json) {
  Separate();
  out_ += json;
  return *this;
}

}  // namespace goim::json
