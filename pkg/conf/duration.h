// Go-style durations for config values: "8m", "10s", "250ms", "1m30s", "1h", "0".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace goim::conf {

using Duration = std::chrono::nanoseconds;

std::optional<Duration> ParseDuration(std::string_view s);
std::string FormatDuration(Duration d);

}  // namespace goim::conf
