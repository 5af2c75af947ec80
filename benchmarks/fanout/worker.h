// goim-bench's client side: worker processes (one per ~19,000 connections, since a process may
// hold 20,000 files here), each a Fleet of goim clients on one event loop that records every
// receipt; the harness watches them through shared memory and collects their results through a
// pipe when they end.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "benchmarks/fanout/histogram.h"
#include "benchmarks/fanout/options.h"

namespace goim::bench {

// In shared memory: what each worker has now, and the harness's signal to stop.
struct Shared {
  std::atomic<int64_t> alive[kMaxWorkers];
  std::atomic<int64_t> received[kMaxWorkers];
  std::atomic<int64_t> bytes[kMaxWorkers];  // read off the sockets
  std::atomic<int> done;
};

struct WorkerResult {
  int64_t received = 0, lost = 0, duplicates = 0, expected = 0;
  Histogram hist;  // from push accepted
  Histogram sent;  // from push sent: where the reply waits for a queue (Kafka), that wait too
};

std::string RoomOf(const Options& o, int64_t global);
int64_t NowNs();

// The worker processes, started: `body(w, begin, end, out_fd)` runs in process w for the clients
// [begin, end) and writes its result line to out_fd. A worker dies with the harness.
struct Workers {
  std::vector<pid_t> pids;
  std::vector<int> pipes;
  void Start(const Options& o, const std::function<void(int, int, int, int)>& body);
  // Each worker's result line, once it has exited.
  std::vector<std::string> Collect();
};

// Worker w's fleet for clients [begin, end): records each push's receipts (a count per client
// and sequence number, a latency against accepted[seq]) until sh->done, then writes its result.
void RunWorker(const Options& o, int w, int begin, int end, Shared* sh,
               std::atomic<int64_t>* accepted, int64_t seqs, int out_fd);
// The sum of the workers' result lines.
WorkerResult Merge(const std::vector<std::string>& lines);

}  // namespace goim::bench
