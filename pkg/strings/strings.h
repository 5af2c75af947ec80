// Small string helpers the services share (goim's pkg/strings): list splitting and ASCII case.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace goim::strings {

// The pieces of s between each sep, empty ones included ("" is one empty piece, as Go's
// strings.Split).
std::vector<std::string_view> Split(std::string_view s, char sep);
// The non-empty pieces of s between each sep ("a,,b," is a and b).
std::vector<std::string> SplitNonEmpty(std::string_view s, char sep);
// s with ASCII letters lower-cased (HTTP field names, schemes and hosts).
std::string Lower(std::string_view s);

}  // namespace goim::strings
