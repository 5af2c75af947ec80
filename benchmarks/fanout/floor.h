// goim-bench floor: the least CPU a fan-out of these bytes can cost on this machine. The same
// bytes the comet would write for each push (benchmarks/lib/payload.h: plain, compressed,
// WebSocket-framed) are written to the same number of loopback sockets by a minimal loop: writer
// threads (as many as the comet's loops) that walk their sockets and send, nothing else, with the
// same SO_SNDBUF and TCP_NODELAY as the comet; forked readers read and count. Compression happens
// before the timed part. The comet's CPU per delivery over this floor's is what the comet adds.
#pragma once

#include "benchmarks/fanout/options.h"

namespace goim::bench {

// Prints the summary (and a JSON line with --json); returns the exit code.
int RunFloor(const Options& o);

}  // namespace goim::bench
