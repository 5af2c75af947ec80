// goim-bench's summaries: the fan-out run (text, and one JSON line with --json) and idle memory.
#pragma once

#include <map>
#include <string>

#include "benchmarks/fanout/options.h"
#include "benchmarks/fanout/worker.h"

namespace goim::bench {

// What one fan-out run measured.
struct FanoutRun {
  int64_t seqs = 0, refused = 0;
  double connect_s = 0;
  double window = 0, span = 0;  // push window and until drained, seconds
  WorkerResult total;
  int64_t client_bytes = 0;  // read by the clients
  double client_cpu = 0;
  long long rss0 = 0, rss1 = 0;
  double loops_cpu = 0, process_cpu = 0;  // comet, seconds
  std::map<std::string, double> m0, m1;   // the comet's /metrics before and after
};

void PrintFanout(const Options& o, const FanoutRun& r);
// What an idle run saw: the connect storm (time to authenticate all, the comet's CPU from the
// first dial to the memory reading, frames received meanwhile, e.g. replayed history) and memory.
struct IdleRun {
  double connect_s = 0;
  long long rss0 = 0, rss1 = 0, sock0 = 0, sock1 = 0;
  double comet_cpu = 0;
  int64_t frames = 0;
};

void PrintIdle(const Options& o, const IdleRun& r);

}  // namespace goim::bench
