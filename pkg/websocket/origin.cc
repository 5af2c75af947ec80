#include "pkg/websocket/origin.h"

#include <algorithm>

#include "pkg/strings/strings.h"

namespace goim::websocket {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool Matches(const std::string& origin, const std::string& pattern) {
  if (pattern == "*") return true;
  size_t star = pattern.find("://*.");
  if (star == std::string::npos) return origin == pattern;
  // "scheme://*.rest": same scheme, then at least one label before ".rest".
  std::string_view scheme(pattern.data(), star + 3);
  std::string_view rest(pattern.data() + star + 4, pattern.size() - star - 4);  // ".rest"
  if (origin.compare(0, scheme.size(), scheme) != 0 || !EndsWith(origin, rest)) return false;
  std::string_view label(origin.data() + scheme.size(),
                         origin.size() - scheme.size() - rest.size());
  return !label.empty() && label.find_first_of("/:") == std::string_view::npos;
}

}  // namespace

std::string CheckOriginPattern(std::string_view pattern) {
  if (pattern == "*") return "";
  std::string p = strings::Lower(pattern);
  size_t sep = p.find("://");
  if (sep == std::string::npos) return "'" + std::string(pattern) + "' is not scheme://host[:port]";
  std::string scheme = p.substr(0, sep);
  if (scheme != "http" && scheme != "https")
    return "'" + std::string(pattern) + "': scheme must be http or https";
  std::string host = p.substr(sep + 3);
  if (host.rfind("*.", 0) == 0) host = host.substr(2);
  if (host.empty() || host.find_first_of("/*?# ") != std::string::npos)
    return "'" + std::string(pattern) +
           "': only scheme://host[:port], no path, a '*.' only at the host's start";
  return "";
}

bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  std::string o = strings::Lower(origin);
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& p) { return Matches(o, strings::Lower(p)); });
}

}  // namespace goim::websocket
