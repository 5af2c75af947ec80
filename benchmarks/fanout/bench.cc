// goim-bench: the fan-out harness. Connects N goim clients (TCP or WebSocket, optionally asking for
// compression) into R rooms, pushes at a fixed rate for a fixed time with a sequence number and
// timestamp in each body, and prints one summary: deliveries/s, loss (sequence gaps),
// duplicates, latency from push accepted to client receipt, comet CPU per million deliveries,
// bytes per delivery, comet memory per connection and writes per delivery. Pushes go through
// logic's HTTP API (the whole path: logic, queue, job batching, comet) or straight to a comet's
// gRPC BroadcastRoom with a fixed number of frames per call (so any goim-compatible comet sees
// identical batches). Works against any goim-compatible server.
//
//   goim-bench fanout [--clients 10000] [--rooms 1] [--rate 40] [--duration 30] [--body 32]
//                     [--payload stamp|json] [--transport tcp|ws]
//                     [--compress none|zlib|brotli|deflate-ws] [--comet 127.0.0.1:3101]
//                     [--logic 127.0.0.1:3111] [--grpc 127.0.0.1:3109 --batch 20] [--pid PID]
//                     [--metrics 127.0.0.1:3111] [--procs P] [--json]
//   goim-bench idle   [--clients 19000] [--comet ...] [--pid PID] [--settle 12]
//   goim-bench floor  [--clients N] [--rate R] [--duration D] [--batch B] [--body 100]
//                     [--payload json] [--transport tcp|ws] [--compress ...] [--threads 2]
//
// Clients run in worker processes (benchmarks/fanout/worker.h). --pid names the comet process
// (goim-comet or goim-standalone) whose CPU (threads "comet-*" and the whole process) and RSS are
// measured. floor (benchmarks/fanout/floor.h) needs no server: it writes the bytes the comet
// would to as many loopback sockets by a minimal loop, the yardstick for the comet's CPU.
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "benchmarks/fanout/floor.h"
#include "benchmarks/fanout/options.h"
#include "benchmarks/fanout/proc.h"
#include "benchmarks/fanout/push.h"
#include "benchmarks/fanout/report.h"
#include "benchmarks/fanout/worker.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/http_client.h"

namespace goim::bench {
namespace {

std::map<std::string, double> Scrape(const std::string& addr) {
  std::map<std::string, double> out;
  if (addr.empty()) return out;
  net::HttpClient http(addr, std::chrono::seconds(5));
  auto r = http.Get("/metrics");
  for (auto& [k, v] : metrics::ParseText(r.body)) out[k] = v;
  return out;
}

double ChildrenCpu() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

template <class T>
T* MapShared(size_t n) {
  void* p = mmap(nullptr, sizeof(T) * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) Usage("cannot map shared memory");
  return static_cast<T*>(p);
}

}  // namespace
}  // namespace goim::bench

int main(int argc, char** argv) {
  using namespace goim::bench;
  Options o = Parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  if (o.mode == "floor") return RunFloor(o);
  const int64_t seqs =
      o.mode == "idle" ? 1 : std::max<int64_t>(1, std::llround(o.rate * o.rooms * o.duration));
  auto* sh = new (MapShared<Shared>(1)) Shared();
  auto* accepted = MapShared<std::atomic<int64_t>>(static_cast<size_t>(seqs));

  long long rss0 = o.pid ? Rss(o.pid) : 0, sock0 = SockstatTcpMem();
  const double storm_cpu0 = o.pid ? ProcessCpu(o.pid) : 0;
  Workers workers;
  workers.Start(o, [&](int w, int begin, int end, int out_fd) {
    RunWorker(o, w, begin, end, sh, accepted, seqs, out_fd);
  });
  auto sum = [&](std::atomic<int64_t>* per_worker) {
    int64_t a = 0;
    for (int w = 0; w < o.procs; ++w) a += per_worker[w].load();
    return a;
  };
  auto connect_start = std::chrono::steady_clock::now();
  while (sum(sh->alive) < o.clients) {
    if (std::chrono::steady_clock::now() - connect_start >
        std::chrono::duration<double>(o.connect_timeout)) {
      std::fprintf(stderr, "goim-bench: only %lld of %d clients authenticated after %.0f s\n",
                   static_cast<long long>(sum(sh->alive)), o.clients, o.connect_timeout);
      sh->done = 1;
      workers.Collect();
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FanoutRun r;
  r.seqs = seqs;
  r.connect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - connect_start).count();
  // Let the comet settle (report online counts, return freed memory) before reading its RSS.
  std::this_thread::sleep_for(std::chrono::duration<double>(o.settle));
  r.rss0 = rss0;
  r.rss1 = o.pid ? Rss(o.pid) : 0;

  if (o.mode == "idle") {
    long long sock1 = SockstatTcpMem();
    IdleRun idle{r.connect_s, rss0, r.rss1, sock0, sock1};
    idle.comet_cpu = o.pid ? ProcessCpu(o.pid) - storm_cpu0 : 0;
    idle.frames = sum(sh->received);
    sh->done = 1;
    workers.Collect();
    PrintIdle(o, idle);
    return 0;
  }

  r.m0 = Scrape(o.metrics);
  double cpu0 = o.pid ? ProcessCpu(o.pid) : 0, loops0 = o.pid ? ThreadsCpu(o.pid, "comet-") : 0;
  double client0 = ChildrenCpu();
  const int64_t bytes0 = sum(sh->bytes);
  int64_t t0 = NowNs();
  r.refused = Push(o, accepted, seqs);
  int64_t pushed_at = NowNs();
  // Drain: until everything expected arrived, or nothing new came for a second (max 10 s).
  int64_t expected_total = 0;
  for (int64_t s = 0; s < seqs; ++s) {
    if (accepted[s].load() > 0)
      expected_total += o.clients / o.rooms + ((s % o.rooms) < (o.clients % o.rooms) ? 1 : 0);
  }
  int64_t last = -1, still = 0;
  while (sum(sh->received) < expected_total && still < 50 &&
         NowNs() - pushed_at < 10'000'000'000LL) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int64_t now = sum(sh->received);
    still = now == last ? still + 1 : 0;
    last = now;
  }
  int64_t t1 = NowNs();
  r.process_cpu = o.pid ? ProcessCpu(o.pid) - cpu0 : 0;
  r.loops_cpu = o.pid ? ThreadsCpu(o.pid, "comet-") - loops0 : 0;
  r.m1 = Scrape(o.metrics);
  r.client_bytes = sum(sh->bytes) - bytes0;
  sh->done = 1;
  r.total = Merge(workers.Collect());
  r.client_cpu = ChildrenCpu() - client0;
  r.window = (pushed_at - t0) / 1e9;
  r.span = (t1 - t0) / 1e9;
  PrintFanout(o, r);
  return r.total.lost == 0 ? 0 : 3;
}
