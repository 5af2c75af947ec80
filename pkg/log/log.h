// glog set-up shared by every binary: logs to stderr, INFO and up; debug (env.debug or
// -set log.v=N) raises VLOG verbosity. Message shape: "<module>: <what> key=value ... error(...)".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace goim::log {

// Call once, first thing in main. Safe to call again (later calls only adjust verbosity).
void Init(const char* argv0, int verbosity = 0);
void SetVerbosity(int v);

// A value a client chose (key, room, body, path, header), made safe for one log line: bytes
// outside printable ASCII and the backslash become \xNN, so a newline cannot forge a line and
// binary cannot garble the log; cut after max bytes with the full length noted.
std::string Printable(std::string_view s, size_t max = 128);

}  // namespace goim::log
