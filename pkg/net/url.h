// Query strings: percent-decoding and name/value pairs in order (repeated names kept).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace goim::net {

// Decodes %XX and '+'; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view s);
std::string PercentEncode(std::string_view s);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// Malformed pairs are skipped and reported in *bad (when given). Decoded bytes that are not
// UTF-8 become U+FFFD (json::ValidUtf8): every value ends up in a protobuf string field (a key, a
// room), and rooms and keys that clients name are made valid the same way, so they still match.
QueryParams ParseQuery(std::string_view query, std::string* bad = nullptr);

}  // namespace goim::net
