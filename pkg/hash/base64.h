// Base64 (RFC 4648): standard alphabet with padding, and the URL-safe alphabet without padding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace goim::hash {

std::string Base64Encode(std::string_view in);
std::string Base64UrlEncode(std::string_view in);
// Accepts either alphabet, with or without padding; nullopt on any other byte.
std::optional<std::string> Base64Decode(std::string_view in);

}  // namespace goim::hash
