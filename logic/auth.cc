#include "logic/auth.h"

#include <random>
#include <utility>

#include <nlohmann/json.hpp>

#include "pkg/hash/base64.h"
#include "pkg/hash/digest.h"
#include "pkg/json/json.h"

namespace goim::logic {

namespace {

// goim's params struct as Go's encoding/json fills it from the token, member by member in
// document order (nlohmann's SAX events): a member sets the field GoField names, so a repeated
// key leaves its last value; the first type error fails the token (Go reports it after decoding
// the rest); values of unknown keys are skipped whatever they hold.
class TokenReader final : public nlohmann::json_sax<json::Json> {
 public:
  explicit TokenReader(AuthToken* out) : out_(out) {}

  // "" or the first type error.
  const std::string& error() const { return error_; }
  const std::string& syntax_error() const { return syntax_error_; }

  bool null() override { return Value(Kind::kNull, 0, nullptr); }
  bool boolean(bool) override { return Value(Kind::kOther, 0, nullptr); }
  bool number_integer(int64_t v) override { return Value(Kind::kInt, v, nullptr); }
  bool number_unsigned(uint64_t v) override {
    if (v > static_cast<uint64_t>(INT64_MAX)) return Value(Kind::kOther, 0, nullptr);
    return Value(Kind::kInt, static_cast<int64_t>(v), nullptr);
  }
  bool number_float(double, const std::string&) override {
    return Value(Kind::kOther, 0, nullptr);  // Go: 1.0 and 1e2 are no int64
  }
  bool string(std::string& s) override { return Value(Kind::kString, 0, &s); }
  bool binary(json::Json::binary_t&) override { return Value(Kind::kOther, 0, nullptr); }
  bool start_object(std::size_t) override { return Open(false); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(std::string& k) override {
    if (depth_ == 1) field_ = static_cast<Field>(json::GoField(k, kNames));
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const json::Json::exception& e) override {
    syntax_error_ = e.what();
    return false;
  }

 private:
  enum class Kind { kNull, kInt, kString, kOther };
  enum Field {
    kNone = -1,
    kMid,
    kKey,
    kRoomId,
    kPlatform,
    kAccepts,
    kExp,
    kCompress,
    kHistory,
    kOffset,
    kEpoch
  };
  static constexpr std::string_view kNames[] = {"mid", "key",      "room_id", "platform", "accepts",
                                                "exp", "compress", "history", "offset",   "epoch"};
  static bool HistoryField(Field f) { return f == kHistory || f == kOffset || f == kEpoch; }

  bool Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return true;  // keep reading: a syntax error further on takes precedence, as in Go
  }
  std::string Named(const char* what) const {
    return "token: " + std::string(kNames[field_]) + " must be " + what;
  }

  bool Open(bool array) {
    if (depth_ == 0 && array) Fail("token: not a JSON object");
    if (depth_ == 1) {
      in_accepts_ = array && field_ == kAccepts;
      if (HistoryField(field_))
        History(Kind::kOther, 0, nullptr);
      else if (in_accepts_)
        out_->accepts.clear();  // Go refills a slice from its start
      else if (field_ == kAccepts)
        Fail("token: accepts must be an array of integers");
      else if (field_ != kNone)
        Fail(Named(field_ == kMid || field_ == kExp ? "an integer" : "a string"));
    } else if (depth_ == 2 && in_accepts_) {
      Fail("token: accepts must be an array of int32");
    }
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }

  bool Value(Kind kind, int64_t n, std::string* s) {
    if (depth_ == 0) return kind == Kind::kNull || Fail("token: not a JSON object");
    if (depth_ == 2 && in_accepts_) {
      if (kind == Kind::kNull) n = 0;  // Go: a null element is the zero value
      if (!(kind == Kind::kInt || kind == Kind::kNull) || n < INT32_MIN || n > INT32_MAX)
        return Fail("token: accepts must be an array of int32");
      out_->accepts.push_back(static_cast<int32_t>(n));
      return true;
    }
    if (depth_ != 1 || field_ == kNone) return true;  // inside a value no field takes
    if (HistoryField(field_)) return History(kind, n, s);
    if (kind == Kind::kNull) {
      if (field_ == kAccepts) out_->accepts.clear();  // Go: null sets a slice to nil
      return true;                                    // and leaves other fields alone
    }
    switch (field_) {
      case kMid:
      case kExp:
        if (kind != Kind::kInt) return Fail(Named("an integer"));
        (field_ == kMid ? out_->mid : out_->exp) = n;
        return true;
      case kKey:
      case kRoomId:
      case kPlatform:
      case kCompress: {
        if (kind != Kind::kString) return Fail(Named("a string"));
        std::string& f = field_ == kKey        ? out_->key
                         : field_ == kRoomId   ? out_->room_id
                         : field_ == kPlatform ? out_->platform
                                               : out_->compress;
        f = std::move(*s);
        return true;
      }
      case kAccepts:
        return Fail("token: accepts must be an array of integers");
      case kNone:
      case kHistory:
      case kOffset:
      case kEpoch:
        break;
    }
    return true;
  }

  // A history field's value: null leaves it alone (as Go); the wrong type marks the request bad
  // instead of failing the token.
  bool History(Kind kind, int64_t n, std::string* s) {
    if (kind == Kind::kNull) return true;
    HistoryRequest& h = out_->history;
    h.asked = true;
    if (field_ != kHistory) h.position = true;
    const bool want_string = field_ == kEpoch;
    if (want_string ? kind != Kind::kString : kind != Kind::kInt) {
      h.bad = true;
      return true;
    }
    if (field_ == kHistory) {
      h.last = n;
    } else if (field_ == kOffset) {
      h.offset = n;
    } else if (s->size() > HistoryRequest::kMaxEpoch) {
      h.bad = true;
      h.epoch.clear();
    } else {
      h.epoch = std::move(*s);
    }
    return true;
  }

  AuthToken* out_;
  int depth_ = 0;
  Field field_ = kNone;
  bool in_accepts_ = false;
  std::string error_;
  std::string syntax_error_;
};

}  // namespace

std::string ParseToken(std::string_view text, AuthToken* out) {
  std::string storage, err;
  std::string_view prepared;
  if (!json::Prepare(text, &storage, &prepared, &err)) return "token: not JSON: " + err;
  *out = AuthToken();
  TokenReader reader(out);
  if (!json::Json::sax_parse(prepared, &reader)) return "token: not JSON: " + reader.syntax_error();
  return reader.error();
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
