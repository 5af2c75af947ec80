// JSON through nlohmann::json (Debian's nlohmann-json3-dev), with Go's encoding/json rules where
// goim's bytes depend on them: client bytes that are not UTF-8 read as U+FFFD, float32 values
// written in their shortest form, members kept in the order written (goim's replies list struct
// fields in declaration order: {"code":..,"message":..,"data":..}).
// For control-path documents: goim's auth token, the HTTP API's envelope, load-tool summaries.
// Files that build or read values include <nlohmann/json.hpp>; this header only declares.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace goim::json {

using Json = nlohmann::ordered_json;

// Parses a whole document (trailing white space only) as Go's decoder reads it: bytes that are
// not UTF-8 and \u escapes of unpaired surrogates become U+FFFD first (nlohmann refuses both).
// Nesting deeper than 64 levels is refused. On failure returns false and sets *error to a
// message with the byte offset. [thread-safe]
bool Parse(std::string_view text, Json* out, std::string* error);

// Parse's reading for a walk with nlohmann's SAX parser (Json::sax_parse): checks the nesting and
// makes Go's repairs. *text is what to walk: `in` itself, or *storage holding the repaired copy.
bool Prepare(std::string_view in, std::string* storage, std::string_view* text, std::string* error);

// The field of `fields` (ASCII names) an object key sets when Go's encoding/json decodes into a
// struct: the one named exactly so, else one named so under Unicode case folding (ASCII case, and
// K U+212A for k and long s U+017F for s, the only other runes folding to ASCII letters); -1 for
// none. [thread-safe]
int GoField(std::string_view key, std::span<const std::string_view> fields);

// s with each byte that does not start a valid UTF-8 sequence replaced by U+FFFD, as Go's
// encoding/json reads and writes strings. Protobuf refuses invalid UTF-8 in string fields, so a
// client's value bound for one (a room, a cookie) goes through this first.
std::string ValidUtf8(std::string_view s);

// The compact text of v. A string that is not UTF-8 has its bad bytes written as U+FFFD
// (client bytes should go through ValidUtf8 first, which is Go's rule byte for byte).
std::string Dump(const Json& v);

// Numbers as Go writes them: the shortest text that reads back as the same value in its own type
// (a float32 0.3 is 0.3, not 0.30000001192092896), integral values without a fraction (40, not
// 40.0), null when not finite.
Json Float64(double v);
Json Float32(float v);

}  // namespace goim::json
