// goim-bench: the fan-out harness. Connects N goim clients (TCP or WebSocket) into R rooms, pushes
// at a fixed rate for a fixed time with a sequence number and timestamp in each body, and prints
// one summary: deliveries/s, loss (sequence gaps), duplicates, latency from push accepted (and
// from push sent) to client receipt, comet CPU per million deliveries, comet memory per connection
// and writes per delivery. Pushes go through logic's HTTP API (the whole path: logic, queue, job
// batching, comet) or straight to a comet's gRPC BroadcastRoom with a fixed number of frames per
// call (so any goim-compatible comet sees identical batches). Works against any goim-compatible
// server.
//
//   goim-bench fanout [--clients 10000] [--rooms 1] [--rate 40] [--duration 30] [--body 32]
//                     [--transport tcp|ws] [--comet 127.0.0.1:3101] [--logic 127.0.0.1:3111]
//                     [--grpc 127.0.0.1:3109 --batch 20] [--pid PID] [--metrics 127.0.0.1:3111]
//                     [--procs P] [--json]
//   goim-bench idle   [--clients 19000] [--comet ...] [--pid PID] [--settle 12]
//
// Clients run in worker processes (one per ~19,000 connections: a process may hold 20,000
// files here), each one event loop. --pid names the comet process (goim-comet or
// goim-standalone) whose CPU (threads "comet-*" and the whole process) and RSS are measured.
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <nlohmann/json.hpp>

#include "api/comet.grpc.pb.h"
#include "benchmarks/fanout/histogram.h"
#include "benchmarks/fanout/proc.h"
#include "benchmarks/lib/fleet.h"
#include "pkg/json/json.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/http_client.h"
#include "pkg/protocol/frame.h"

namespace goim::bench {
namespace {

constexpr int kMaxWorkers = 64;

struct Options {
  std::string mode = "fanout";
  std::string comet = "127.0.0.1:3101";
  bool ws = false;
  int clients = 10000;
  int rooms = 1;
  double rate = 40;
  double duration = 30;
  int body = 32;
  std::string logic = "127.0.0.1:3111";
  std::string grpc;
  int batch = 1;
  int pid = 0;
  std::string metrics;
  int procs = 0;
  std::string room_type = "bench";
  bool json = false;
  double connect_timeout = 180;
  double settle = 2;  // seconds between the last connect and the memory reading
};

struct Shared {
  std::atomic<int64_t> alive[kMaxWorkers];
  std::atomic<int64_t> received[kMaxWorkers];
  std::atomic<int> done;
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Usage(const std::string& why) {
  std::fprintf(stderr,
               "goim-bench: %s\nusage: goim-bench fanout|idle [--clients N] [--rooms R] [--rate "
               "MSG_PER_S_PER_ROOM]\n"
               "  [--duration S] [--body BYTES] [--transport tcp|ws] [--comet HOST:PORT] [--logic "
               "HOST:PORT]\n"
               "  [--grpc HOST:PORT --batch FRAMES] [--pid COMET_PID] [--metrics HOST:PORT] "
               "[--procs P] [--json]\n",
               why.c_str());
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  if (argc < 2) Usage("missing mode");
  o.mode = argv[1];
  if (o.mode != "fanout" && o.mode != "idle") Usage("unknown mode " + o.mode);
  if (o.mode == "idle") o.clients = 19000;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i], v;
    if (k.rfind("--", 0) != 0) Usage("unexpected " + k);
    k = k.substr(2);
    if (size_t eq = k.find('='); eq != std::string::npos) {
      v = k.substr(eq + 1);
      k = k.substr(0, eq);
    } else if (k != "json") {
      if (i + 1 >= argc) Usage("--" + k + " needs a value");
      v = argv[++i];
    }
    try {
      if (k == "clients")
        o.clients = std::stoi(v);
      else if (k == "rooms")
        o.rooms = std::stoi(v);
      else if (k == "rate")
        o.rate = std::stod(v);
      else if (k == "duration")
        o.duration = std::stod(v);
      else if (k == "body")
        o.body = std::stoi(v);
      else if (k == "transport")
        o.ws = v == "ws" ? true : v == "tcp" ? false : (Usage("transport is tcp or ws"), false);
      else if (k == "comet")
        o.comet = v;
      else if (k == "logic")
        o.logic = v;
      else if (k == "grpc")
        o.grpc = v;
      else if (k == "batch")
        o.batch = std::stoi(v);
      else if (k == "pid")
        o.pid = std::stoi(v);
      else if (k == "metrics")
        o.metrics = v;
      else if (k == "procs")
        o.procs = std::stoi(v);
      else if (k == "room-type")
        o.room_type = v;
      else if (k == "connect-timeout")
        o.connect_timeout = std::stod(v);
      else if (k == "settle")
        o.settle = std::stod(v);
      else if (k == "json")
        o.json = true;
      else
        Usage("unknown option --" + k);
    } catch (const std::exception&) {
      Usage("bad value for --" + k + ": " + v);
    }
  }
  if (o.clients <= 0 || o.rooms <= 0 || o.rate <= 0 || o.duration <= 0 || o.batch <= 0)
    Usage("values must be > 0");
  if (o.procs <= 0) o.procs = (o.clients + 18999) / 19000;
  if (o.procs > kMaxWorkers) Usage("too many client processes");
  return o;
}

std::string RoomOf(const Options& o, int64_t global) {
  return o.room_type + "://" + std::to_string(global % o.rooms);
}

std::map<std::string, double> Scrape(const std::string& addr) {
  std::map<std::string, double> out;
  if (addr.empty()) return out;
  net::HttpClient http(addr, std::chrono::seconds(5));
  auto r = http.Get("/metrics");
  for (auto& [k, v] : metrics::ParseText(r.body)) out[k] = v;
  return out;
}

// --- a client worker process ------------------------------------------------------------------

struct WorkerResult {
  int64_t received = 0, lost = 0, duplicates = 0, expected = 0;
  Histogram hist;  // from push accepted
  Histogram sent;  // from push sent: where the reply waits for a queue (Kafka), that wait too
};

void RunWorker(const Options& o, int w, int begin, int end, Shared* sh,
               std::atomic<int64_t>* accepted, int64_t seqs, int out_fd) {
  const int n = end - begin;
  std::vector<uint8_t> counts(static_cast<size_t>(n) * static_cast<size_t>(seqs), 0);
  Histogram hist, from_sent;
  std::vector<std::pair<int64_t, int64_t>>
      pending;  // (seq, receipt ns) received before the push was acknowledged
  FleetOptions fo;
  fo.addr = o.comet;
  fo.websocket = o.ws;
  fo.mid_begin = 1 + begin;
  fo.count = n;
  fo.room_of = [&o, begin](int i) { return RoomOf(o, begin + i); };
  fo.reconnect = false;
  fo.heartbeat = std::chrono::seconds(240);
  fo.threads = 1;
  // Spread source ports over 127.0.0.x when one address could run short of ephemeral ports.
  if (o.clients > 25000) fo.local_ip = "127.0.0." + std::to_string(2 + w);
  Fleet fleet(fo, [&](int conn, int32_t, std::string_view body) {
    int64_t seq, sent;
    if (!ParseStamp(body, &seq, &sent) || seq < 0 || seq >= seqs) return;
    uint8_t& c =
        counts[static_cast<size_t>(conn) * static_cast<size_t>(seqs) + static_cast<size_t>(seq)];
    if (c < 255) ++c;
    int64_t now = NowNs(), a = accepted[seq].load(std::memory_order_relaxed);
    from_sent.Add((now - sent) / 1000);  // one monotonic clock for all processes
    if (a > 0)
      hist.Add((now - a) / 1000);
    else
      pending.emplace_back(seq, now);
  });
  fleet.Start();
  while (!sh->done.load()) {
    sh->alive[w] = fleet.alive();
    sh->received[w] = fleet.received();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  fleet.Stop();
  WorkerResult r;
  r.received = fleet.received();
  for (auto [seq, t] : pending) {
    int64_t a = accepted[seq].load();
    if (a > 0) hist.Add(std::max<int64_t>(0, t - a) / 1000);
  }
  for (int i = 0; i < n; ++i) {
    int64_t room = (begin + i) % o.rooms;
    for (int64_t s = room; s < seqs; s += o.rooms) {
      if (accepted[s].load() <= 0) continue;  // refused pushes are not expected
      ++r.expected;
      uint8_t c =
          counts[static_cast<size_t>(i) * static_cast<size_t>(seqs) + static_cast<size_t>(s)];
      if (c == 0)
        ++r.lost;
      else
        r.duplicates += c - 1;
    }
  }
  std::string line = std::to_string(r.received) + " " + std::to_string(r.lost) + " " +
                     std::to_string(r.duplicates) + " " + std::to_string(r.expected) + " " +
                     hist.Serialize() + " | " + from_sent.Serialize() + "\n";
  for (size_t off = 0; off < line.size();) {
    ssize_t k = ::write(out_fd, line.data() + off, line.size() - off);
    if (k <= 0) break;
    off += static_cast<size_t>(k);
  }
  ::close(out_fd);
}

// --- pushing --------------------------------------------------------------------------------

std::string Body(int64_t seq, int size) {
  std::string b = std::to_string(seq) + " " + std::to_string(NowNs());
  if (static_cast<int>(b.size()) + 1 < size)
    b += " " + std::string(static_cast<size_t>(size) - b.size() - 1, 'x');
  return b;
}

// Sends every push on schedule; returns how many were refused.
int64_t Push(const Options& o, std::atomic<int64_t>* accepted, int64_t seqs) {
  const double total_rate = o.rate * o.rooms;
  const int64_t start = NowNs();
  std::atomic<int64_t> next{0}, refused{0};
  std::vector<std::thread> threads;
  // Outlives the threads below, which hold it by reference.
  std::unique_ptr<goim::comet::Comet::Stub> stub;
  if (o.grpc.empty()) {
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        net::HttpClient http(o.logic);
        for (int64_t i; (i = next++) < seqs;) {
          int64_t due = start + static_cast<int64_t>(static_cast<double>(i) / total_rate * 1e9);
          int64_t now = NowNs();
          if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
          auto r = http.Post("/goim/push/room?operation=1000&type=" + o.room_type +
                                 "&room=" + std::to_string(i % o.rooms),
                             Body(i, o.body));
          bool ok = r.status == 200 && r.body.find("\"code\":0") != std::string::npos;
          accepted[i] = ok ? NowNs() : -1;
          if (!ok) ++refused;
        }
      });
    }
  } else {
    // Straight to the comet: one BroadcastRoom per `batch` frames of one room, as job would send.
    stub = goim::comet::Comet::NewStub(
        grpc::CreateChannel(o.grpc, grpc::InsecureChannelCredentials()));
    const int64_t per_room = seqs / o.rooms, calls_per_room = (per_room + o.batch - 1) / o.batch;
    const int64_t calls = calls_per_room * o.rooms;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&] {
        for (int64_t c; (c = next++) < calls;) {
          int64_t room = c % o.rooms, j = c / o.rooms;
          // The call goes out when its last frame is due.
          int64_t last = std::min(per_room, (j + 1) * o.batch) - 1;
          int64_t due = start + static_cast<int64_t>(static_cast<double>(last * o.rooms + room) /
                                                     total_rate * 1e9);
          int64_t now = NowNs();
          if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
          goim::comet::BroadcastRoomReq req;
          req.set_roomid(RoomOf(o, room));
          std::string frames;
          std::vector<int64_t> in_call;
          for (int64_t k = j * o.batch; k <= last; ++k) {
            int64_t seq = k * o.rooms + room;
            protocol::AppendFrame(&frames, 1, 1000, 0, Body(seq, o.body));
            in_call.push_back(seq);
          }
          req.mutable_proto()->set_ver(1);
          req.mutable_proto()->set_op(protocol::kOpRaw);
          req.mutable_proto()->set_body(std::move(frames));
          grpc::ClientContext ctx;
          goim::comet::BroadcastRoomReply reply;
          bool ok = stub->BroadcastRoom(&ctx, req, &reply).ok();
          int64_t at = NowNs();
          for (int64_t seq : in_call) accepted[seq] = ok ? at : -1;
          if (!ok) refused += static_cast<int64_t>(in_call.size());
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  return refused.load();
}

double ChildrenCpu() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace
}  // namespace goim::bench

int main(int argc, char** argv) {
  using namespace goim::bench;
  Options o = Parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  const int64_t seqs =
      o.mode == "idle" ? 1 : std::max<int64_t>(1, std::llround(o.rate * o.rooms * o.duration));
  auto* sh = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  auto* accepted = static_cast<std::atomic<int64_t>*>(
      mmap(nullptr, sizeof(std::atomic<int64_t>) * static_cast<size_t>(seqs),
           PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (sh == MAP_FAILED || accepted == MAP_FAILED) Usage("cannot map shared memory");
  new (sh) Shared();

  long long rss0 = o.pid ? Rss(o.pid) : 0, sock0 = SockstatTcpMem();
  std::vector<pid_t> workers;
  std::vector<int> pipes;
  for (int w = 0; w < o.procs; ++w) {
    int fds[2];
    if (pipe(fds) != 0) Usage("pipe failed");
    int begin = static_cast<int>(static_cast<int64_t>(o.clients) * w / o.procs);
    int end = static_cast<int>(static_cast<int64_t>(o.clients) * (w + 1) / o.procs);
    pid_t pid = fork();
    if (pid == 0) {
      // A worker never outlives the harness (a crash or kill would leave it holding connections).
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() == 1) _exit(1);
      ::close(fds[0]);
      RunWorker(o, w, begin, end, sh, accepted, seqs, fds[1]);
      _exit(0);
    }
    ::close(fds[1]);
    workers.push_back(pid);
    pipes.push_back(fds[0]);
  }
  auto alive = [&] {
    int64_t a = 0;
    for (int w = 0; w < o.procs; ++w) a += sh->alive[w].load();
    return a;
  };
  auto received = [&] {
    int64_t r = 0;
    for (int w = 0; w < o.procs; ++w) r += sh->received[w].load();
    return r;
  };
  auto connect_start = std::chrono::steady_clock::now();
  while (alive() < o.clients) {
    if (std::chrono::steady_clock::now() - connect_start >
        std::chrono::duration<double>(o.connect_timeout)) {
      std::fprintf(stderr, "goim-bench: only %lld of %d clients authenticated after %.0f s\n",
                   static_cast<long long>(alive()), o.clients, o.connect_timeout);
      sh->done = 1;
      for (pid_t p : workers) waitpid(p, nullptr, 0);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double connect_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - connect_start).count();
  // Let the comet settle (report online counts, return freed memory) before reading its RSS.
  std::this_thread::sleep_for(std::chrono::duration<double>(o.settle));
  long long rss1 = o.pid ? Rss(o.pid) : 0, sock1 = SockstatTcpMem();

  if (o.mode == "idle") {
    sh->done = 1;
    for (int fd : pipes) ::close(fd);
    for (pid_t p : workers) waitpid(p, nullptr, 0);
    double per = static_cast<double>(rss1 - rss0) / o.clients;
    std::printf("goim-bench idle: %d %s clients authenticated in %.1f s\n", o.clients,
                o.ws ? "ws" : "tcp", connect_s);
    if (o.pid)
      std::printf("  comet RSS      %.1f MB before, %.1f MB after: %.0f bytes per connection\n",
                  rss0 / 1e6, rss1 / 1e6, per);
    std::printf(
        "  kernel TCP mem %.1f MB before, %.1f MB after (/proc/net/sockstat, both ends of every "
        "connection)\n",
        sock0 / 1e6, sock1 / 1e6);
    if (o.json) {
      std::printf(
          "{\"mode\":\"idle\",\"clients\":%d,\"transport\":\"%s\",\"rss_before\":%lld,\"rss_"
          "after\":%lld,"
          "\"rss_per_conn\":%.0f,\"sock_mem_before\":%lld,\"sock_mem_after\":%lld}\n",
          o.clients, o.ws ? "ws" : "tcp", rss0, rss1, per, sock0, sock1);
    }
    return 0;
  }

  auto m0 = Scrape(o.metrics);
  double cpu0 = o.pid ? ProcessCpu(o.pid) : 0, loops0 = o.pid ? ThreadsCpu(o.pid, "comet-") : 0;
  double client0 = ChildrenCpu();
  int64_t t0 = NowNs();
  int64_t refused = Push(o, accepted, seqs);
  int64_t pushed_at = NowNs();
  // Drain: until everything expected arrived, or nothing new came for a second (max 10 s).
  int64_t expected_total = 0;
  for (int64_t s = 0; s < seqs; ++s) {
    if (accepted[s].load() > 0)
      expected_total += o.clients / o.rooms + ((s % o.rooms) < (o.clients % o.rooms) ? 1 : 0);
  }
  int64_t last = -1, still = 0;
  while (received() < expected_total && still < 50 && NowNs() - pushed_at < 10'000'000'000LL) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int64_t r = received();
    still = r == last ? still + 1 : 0;
    last = r;
  }
  int64_t t1 = NowNs();
  double cpu1 = o.pid ? ProcessCpu(o.pid) : 0, loops1 = o.pid ? ThreadsCpu(o.pid, "comet-") : 0;
  auto m1 = Scrape(o.metrics);
  sh->done = 1;

  WorkerResult total;
  for (int fd : pipes) {
    std::string line;
    char buf[65536];
    ssize_t k;
    while ((k = ::read(fd, buf, sizeof(buf))) > 0) line.append(buf, static_cast<size_t>(k));
    ::close(fd);
    long long rec, lost, dup, exp;
    int consumed = 0;
    if (std::sscanf(line.c_str(), "%lld %lld %lld %lld %n", &rec, &lost, &dup, &exp, &consumed) >=
        4) {
      total.received += rec;
      total.lost += lost;
      total.duplicates += dup;
      total.expected += exp;
      std::string hists = line.substr(static_cast<size_t>(consumed));
      size_t bar = hists.find('|');
      Histogram h, hs;
      if (bar != std::string::npos && h.Deserialize(hists.substr(0, bar)) &&
          hs.Deserialize(hists.substr(bar + 1))) {
        total.hist.Merge(h);
        total.sent.Merge(hs);
      }
    }
  }
  for (pid_t p : workers) waitpid(p, nullptr, 0);
  double client_cpu = ChildrenCpu() - client0;

  double window = (pushed_at - t0) / 1e9, span = (t1 - t0) / 1e9;
  double dps = total.received / window;
  double writes = m1["goim_comet_writes_total"] - m0["goim_comet_writes_total"];
  double frames = m1["goim_comet_frames_written_total"] - m0["goim_comet_frames_written_total"];
  double batches = m1["goim_job_room_batches_total"] - m0["goim_job_room_batches_total"];
  double batched =
      m1["goim_job_room_batched_messages_total"] - m0["goim_job_room_batched_messages_total"];
  double wait_us =
      m1["goim_job_room_batch_wait_us_total"] - m0["goim_job_room_batch_wait_us_total"];
  double dropped = m1["goim_comet_push_dropped_total"] - m0["goim_comet_push_dropped_total"];
  double per_conn = o.pid ? static_cast<double>(rss1 - rss0) / o.clients : 0;
  double mdel = total.received / 1e6;

  std::printf(
      "goim-bench fanout: %d %s clients in %d room(s), %.0f msg/s per room for %.0f s, body %d B, "
      "via %s\n",
      o.clients, o.ws ? "ws" : "tcp", o.rooms, o.rate, o.duration, o.body,
      o.grpc.empty()
          ? ("logic HTTP " + o.logic).c_str()
          : ("comet gRPC " + o.grpc + ", " + std::to_string(o.batch) + " frames/call").c_str());
  std::printf("  pushes        %lld accepted, %lld refused; clients connected in %.1f s\n",
              static_cast<long long>(seqs - refused), static_cast<long long>(refused), connect_s);
  std::printf("  deliveries    %lld expected, %lld received, %lld lost, %lld duplicates\n",
              static_cast<long long>(total.expected), static_cast<long long>(total.received),
              static_cast<long long>(total.lost), static_cast<long long>(total.duplicates));
  std::printf("  throughput    %.0f deliveries/s (push window %.1f s, drained after %.1f s)\n", dps,
              window, span);
  std::printf(
      "  latency       p50 %.1f ms  p99 %.1f ms  p999 %.1f ms  max %.1f ms (push accepted -> "
      "client receipt)\n",
      total.hist.Percentile(0.5) / 1e3, total.hist.Percentile(0.99) / 1e3,
      total.hist.Percentile(0.999) / 1e3, total.hist.max() / 1e3);
  std::printf(
      "                p50 %.1f ms  p99 %.1f ms  p999 %.1f ms  max %.1f ms (push sent -> client "
      "receipt)\n",
      total.sent.Percentile(0.5) / 1e3, total.sent.Percentile(0.99) / 1e3,
      total.sent.Percentile(0.999) / 1e3, total.sent.max() / 1e3);
  if (o.pid) {
    std::printf(
        "  comet CPU     loops %.2f s, process %.2f s: %.0f ms (loops) / %.0f ms (process) per "
        "million deliveries\n",
        loops1 - loops0, cpu1 - cpu0, (loops1 - loops0) * 1e3 / mdel, (cpu1 - cpu0) * 1e3 / mdel);
    std::printf(
        "  comet memory  RSS %.1f MB; +%.1f MB for %d connections = %.0f bytes/connection\n",
        rss1 / 1e6, (rss1 - rss0) / 1e6, o.clients, per_conn);
  }
  if (!o.metrics.empty()) {
    std::printf(
        "  writes        %.0f writes, %.2f frames/write, %.4f writes/delivery; %.0f pushes dropped "
        "by full queues\n",
        writes, writes > 0 ? frames / writes : 0, total.received > 0 ? writes / total.received : 0,
        dropped);
    if (batches > 0)
      std::printf("  job batching  %.0f batches, %.1f messages/batch, %.1f ms mean wait\n", batches,
                  batched / batches, wait_us / batches / 1e3);
  }
  std::printf("  client CPU    %.2f s\n", client_cpu);
  if (o.json) {
    using goim::json::Float64;
    goim::json::Json j = {
        {"mode", "fanout"},
        {"clients", o.clients},
        {"transport", o.ws ? "ws" : "tcp"},
        {"rooms", o.rooms},
        {"rate", Float64(o.rate)},
        {"duration", Float64(o.duration)},
        {"body", o.body},
        {"path", o.grpc.empty() ? "http" : "grpc"},
        {"batch", o.batch},
        {"expected", total.expected},
        {"received", total.received},
        {"lost", total.lost},
        {"duplicates", total.duplicates},
        {"refused", refused},
        {"deliveries_per_s", Float64(dps)},
        {"p50_ms", Float64(total.hist.Percentile(0.5) / 1e3)},
        {"p99_ms", Float64(total.hist.Percentile(0.99) / 1e3)},
        {"p999_ms", Float64(total.hist.Percentile(0.999) / 1e3)},
        {"max_ms", Float64(total.hist.max() / 1e3)},
        {"sent_p50_ms", Float64(total.sent.Percentile(0.5) / 1e3)},
        {"sent_p99_ms", Float64(total.sent.Percentile(0.99) / 1e3)},
        {"loops_cpu_s", Float64(loops1 - loops0)},
        {"process_cpu_s", Float64(cpu1 - cpu0)},
        {"loops_ms_per_million", Float64(mdel > 0 ? (loops1 - loops0) * 1e3 / mdel : 0)},
        {"process_ms_per_million", Float64(mdel > 0 ? (cpu1 - cpu0) * 1e3 / mdel : 0)},
        {"rss", rss1},
        {"rss_per_conn", Float64(per_conn)},
        {"writes", Float64(writes)},
        {"frames_per_write", Float64(writes > 0 ? frames / writes : 0)},
        {"dropped", Float64(dropped)},
        {"batch_messages", Float64(batches > 0 ? batched / batches : 0)},
        {"batch_wait_ms", Float64(batches > 0 ? wait_us / batches / 1e3 : 0)},
        {"client_cpu_s", Float64(client_cpu)}};
    std::printf("%s\n", goim::json::Dump(j).c_str());
  }
  return total.lost == 0 ? 0 : 3;
}
