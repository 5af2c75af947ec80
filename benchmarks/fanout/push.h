// goim-bench's pushing side: every push on schedule, through logic's HTTP API (the whole path) or
// straight to a comet's BroadcastRoom with a fixed number of frames per call, as job sends them.
#pragma once

#include <atomic>
#include <cstdint>

#include "benchmarks/fanout/options.h"

namespace goim::bench {

// Sends pushes 0..seqs-1 at o.rate per room; accepted[seq] gets the time each was acknowledged
// (-1: refused). Returns how many were refused.
int64_t Push(const Options& o, std::atomic<int64_t>* accepted, int64_t seqs);

}  // namespace goim::bench
