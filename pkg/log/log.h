// glog set-up shared by every binary: logs to stderr, INFO and up; debug (env.debug or
// -set log.v=N) raises VLOG verbosity. Message shape: "<module>: <what> key=value ... error(...)".
#pragma once

namespace goim::log {

// Call once, first thing in main. Safe to call again (later calls only adjust verbosity).
void Init(const char* argv0, int verbosity = 0);
void SetVerbosity(int v);

}  // namespace goim::log
