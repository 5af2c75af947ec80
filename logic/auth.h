// logic auth: the token a client sends in its op-7 frame.
//
// goim's token (default, trusted as goim does): JSON
//   {"mid":123, "key":"", "room_id":"live://1000", "platform":"web", "accepts":[1000,1001]}
// plus goim-cpp's optional "compress": "zlib" | "brotli" (passed to the comet as is) and the room
// history request "history": N, "offset": X, "epoch": "E" (README "History"). Unlike goim's
// fields, a history field of the wrong type does not fail the token: the request is marked bad
// and its answer says recovered:false.
// Signed tokens (when auth.secret is set; see README): <claims>.<sig> where claims is the
// base64url (no padding) of that JSON plus "exp" (unix seconds), and sig is the base64url of
// HMAC-SHA256(secret, claims-part). Unsigned, forged or expired tokens are refused.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace goim::logic {

// What a client asks of its room's history. Any of the three keys (not null) opts it in.
struct HistoryRequest {
  static constexpr size_t kMaxEpoch = 64;  // longer epochs are bad (the store's are 8 bytes)
  bool asked = false;
  int64_t last = 0;       // "history": N (as written; the reader clamps it)
  bool position = false;  // "offset" or "epoch" given
  int64_t offset = 0;
  std::string epoch;
  bool bad = false;  // a value of the wrong type, or an epoch over kMaxEpoch bytes
};

struct AuthToken {
  int64_t mid = 0;
  std::string key;
  std::string room_id;
  std::string platform;
  std::vector<int32_t> accepts;
  std::string compress;  // goim-cpp: batch compression the client asks for ("zlib", "brotli")
  int64_t exp = 0;       // signed tokens only
  HistoryRequest history;
};

// Parses goim's JSON token. Returns "" or an error ("token: ...").
std::string ParseToken(std::string_view json, AuthToken* out);

// Verifies and parses a token; secret empty = goim behaviour (plain JSON, trusted).
std::string VerifyToken(std::string_view token, const std::string& secret, int64_t now_unix,
                        AuthToken* out);

// Builds a signed token for claims (a JSON object text); for tools and tests.
std::string SignToken(std::string_view claims_json, const std::string& secret);

// A random RFC 4122 version-4 UUID (goim: uuid.New() when the token has no key).
std::string NewUuid();

}  // namespace goim::logic
