// Which browser origins may open a WebSocket: a guard against cross-site WebSocket hijacking
// (a page on another site riding the visitor's cookies). goim checks no Origin at all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace goim::websocket {

// "" when pattern is a usable entry, else what is wrong. An entry is "*" (any origin) or
// "scheme://host[:port]" with scheme http or https, where host may begin with "*." to take any
// subdomain ("https://*.example.com" takes https://a.example.com, not https://example.com).
std::string CheckOriginPattern(std::string_view pattern);

// Whether an Origin header value is allowed by the entries (compared case-insensitively; an
// empty list allows every origin). The caller decides about requests without an Origin.
bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed);

}  // namespace goim::websocket
