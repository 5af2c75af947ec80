#include "benchmarks/fanout/worker.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "benchmarks/lib/fleet.h"

namespace goim::bench {

std::string RoomOf(const Options& o, int64_t global) {
  return o.room_type + "://" + std::to_string(global % o.rooms);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Workers::Start(const Options& o, const std::function<void(int, int, int, int)>& body) {
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
      body(w, begin, end, fds[1]);
      _exit(0);
    }
    ::close(fds[1]);
    pids.push_back(pid);
    pipes.push_back(fds[0]);
  }
}

std::vector<std::string> Workers::Collect() {
  std::vector<std::string> lines;
  for (int fd : pipes) {
    std::string line;
    char buf[65536];
    ssize_t k;
    while ((k = ::read(fd, buf, sizeof(buf))) > 0) line.append(buf, static_cast<size_t>(k));
    ::close(fd);
    lines.push_back(std::move(line));
  }
  pipes.clear();
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  pids.clear();
  return lines;
}

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
  fo.compress = o.compress;
  fo.history = o.history;
  fo.mid_begin = 1 + begin;
  fo.count = n;
  fo.room_of = [&o, begin](int i) { return RoomOf(o, begin + i); };
  fo.reconnect = false;
  fo.heartbeat = std::chrono::seconds(240);
  fo.threads = 1;
  // Each worker dials from addresses of its own, 2,500 connections per address at most
  // (FleetOptions::local_ips says why): 127.1.<worker>.<2..>.
  if (n > 2500) {
    for (int k = 0; k < (n + 2499) / 2500; ++k)
      fo.local_ips.push_back("127.1." + std::to_string(w) + "." + std::to_string(2 + k));
  }
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
    sh->bytes[w] = fleet.bytes();
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

WorkerResult Merge(const std::vector<std::string>& lines) {
  WorkerResult total;
  for (const std::string& line : lines) {
    long long rec, lost, dup, exp;
    int consumed = 0;
    if (std::sscanf(line.c_str(), "%lld %lld %lld %lld %n", &rec, &lost, &dup, &exp, &consumed) < 4)
      continue;
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
  return total;
}

}  // namespace goim::bench
