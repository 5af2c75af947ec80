#include "benchmarks/fanout/floor.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include "benchmarks/fanout/worker.h"
#include "benchmarks/lib/payload.h"

#include "pkg/json/json.h"
#include "pkg/protocol/frame.h"

namespace goim::bench {

namespace {

double ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A reader process: connects its sockets to the floor's port, then reads and counts until told.
void ReadAll(int port, int count, int w, Shared* sh) {
  int ep = epoll_create1(0);
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) _exit(1);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
    sh->alive[w] = static_cast<int64_t>(fds.size());
  }
  std::vector<epoll_event> evs(256);
  static char buf[1 << 16];
  int64_t bytes = 0;
  while (!sh->done.load()) {
    int n = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 20);
    for (int i = 0; i < n; ++i) {
      ssize_t k;
      while ((k = ::recv(evs[i].data.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) bytes += k;
    }
    sh->bytes[w] = bytes;
  }
  for (int fd : fds) ::close(fd);
}

struct Sock {
  int fd;
  std::string pending;  // what the socket did not take yet, in order
};

struct WriterResult {
  double cpu = 0;
  int64_t writes = 0, bytes = 0, waits = 0;
};

// Sends each push, when due, to every socket of this writer; what a socket does not take waits
// in its pending bytes until it is writable.
void Write(std::vector<Sock>& socks, const std::vector<std::string>& pushes, int64_t start,
           double calls_per_s, WriterResult* r) {
  const double cpu0 = ThreadCpu();
  auto send = [r](Sock& s, const char* p, size_t n) {
    ssize_t k = ::send(s.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) {
      ++r->writes;
      r->bytes += k;
    }
    size_t took = k > 0 ? static_cast<size_t>(k) : 0;
    if (took < n) {
      ++r->waits;
      s.pending.append(p + took, n - took);
    }
  };
  auto flush = [&](Sock& s) {
    std::string out;
    out.swap(s.pending);
    send(s, out.data(), out.size());
  };
  for (size_t j = 0; j < pushes.size(); ++j) {
    int64_t due = start + static_cast<int64_t>(static_cast<double>(j) / calls_per_s * 1e9);
    for (;;) {  // until due: the sockets that had no room
      std::vector<pollfd> waiting;
      for (Sock& s : socks)
        if (!s.pending.empty()) waiting.push_back({s.fd, POLLOUT, 0});
      int64_t left = due - NowNs();
      if (left <= 0) break;
      if (waiting.empty()) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(left));
        break;
      }
      ::poll(waiting.data(), waiting.size(), static_cast<int>(left / 1000000) + 1);
      for (Sock& s : socks)
        if (!s.pending.empty()) flush(s);
    }
    const std::string& bytes = pushes[j];
    for (Sock& s : socks) {
      if (s.pending.empty()) {
        send(s, bytes.data(), bytes.size());
      } else {
        s.pending += bytes;
        flush(s);
      }
    }
  }
  for (bool any = true; any;) {  // the tails
    any = false;
    for (Sock& s : socks) {
      if (s.pending.empty()) continue;
      any = true;
      pollfd p{s.fd, POLLOUT, 0};
      ::poll(&p, 1, 100);
      flush(s);
    }
  }
  r->cpu = ThreadCpu() - cpu0;
}

}  // namespace

int RunFloor(const Options& o) {
  // The pushes: the bytes a connection gets for each BroadcastRoom of `batch` frames.
  const int64_t seqs = std::max<int64_t>(1, std::llround(o.rate * o.duration));
  const int64_t calls = (seqs + o.batch - 1) / o.batch;
  std::vector<std::string> pushes;
  int64_t frames_total = 0;
  for (int64_t j = 0; j < calls; ++j) {
    std::string frames;
    for (int64_t s = j * o.batch; s < std::min(seqs, (j + 1) * o.batch); ++s, ++frames_total)
      protocol::AppendFrame(&frames, 1, 1000, 0, Body(s, NowNs(), o.body, o.json_payload));
    pushes.push_back(WireBytes(frames, o.ws, o.compress, o.threshold));
  }

  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(lfd, 4096) != 0 || ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    Usage("floor: cannot listen on 127.0.0.1");
  const int port = ntohs(sa.sin_port);
  auto* sh = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (sh == MAP_FAILED) Usage("cannot map shared memory");
  new (sh) Shared();
  Workers workers;
  workers.Start(o, [&](int w, int begin, int end, int out_fd) {
    ::close(lfd);
    ::close(out_fd);
    ReadAll(port, end - begin, w, sh);
  });

  std::vector<std::vector<Sock>> per_thread(static_cast<size_t>(o.threads));
  for (int i = 0; i < o.clients; ++i) {
    int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) Usage("floor: accept failed");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (o.sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o.sndbuf, sizeof o.sndbuf);
    per_thread[static_cast<size_t>(i % o.threads)].push_back({fd, {}});
  }
  ::close(lfd);

  std::vector<WriterResult> results(static_cast<size_t>(o.threads));
  std::vector<std::thread> writers;
  const int64_t start = NowNs() + 100'000'000;  // every writer starts on the same schedule
  const double calls_per_s = o.rate / o.batch;
  for (int t = 0; t < o.threads; ++t) {
    writers.emplace_back([&, t] {
      Write(per_thread[static_cast<size_t>(t)], pushes, start, calls_per_s,
            &results[static_cast<size_t>(t)]);
    });
  }
  for (auto& t : writers) t.join();
  WriterResult sum;
  for (const auto& r : results) {
    sum.cpu += r.cpu;
    sum.writes += r.writes;
    sum.bytes += r.bytes;
    sum.waits += r.waits;
  }
  // Until the readers have everything (at most 10 s).
  auto read = [&] {
    int64_t b = 0;
    for (int w = 0; w < o.procs; ++w) b += sh->bytes[w].load();
    return b;
  };
  for (int64_t until = NowNs() + 10'000'000'000LL; read() < sum.bytes && NowNs() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int64_t got = read();
  sh->done = 1;
  workers.Collect();
  for (auto& socks : per_thread)
    for (Sock& s : socks) ::close(s.fd);

  const double deliveries = static_cast<double>(frames_total) * o.clients;
  const double mdel = deliveries / 1e6;
  std::printf(
      "goim-bench floor: %d %s sockets, %.0f msg/s, %d frames/write for %.0f s, body %d B (%s), "
      "compress %s, %d writer threads\n",
      o.clients, o.ws ? "ws" : "tcp", o.rate, o.batch, o.duration, o.body,
      o.json_payload ? "json" : "stamp", o.compress.empty() ? "none" : o.compress.c_str(),
      o.threads);
  std::printf("  deliveries    %.0f (%lld pushes x %d sockets); %lld of %lld bytes read\n",
              deliveries, static_cast<long long>(calls), o.clients, static_cast<long long>(got),
              static_cast<long long>(sum.bytes));
  std::printf(
      "  writer CPU    %.2f s: %.0f ms per million deliveries; %lld writes (%lld waited), %.1f "
      "bytes/delivery\n",
      sum.cpu, sum.cpu * 1e3 / mdel, static_cast<long long>(sum.writes),
      static_cast<long long>(sum.waits), static_cast<double>(sum.bytes) / deliveries);
  if (o.json) {
    using json::Float64;
    json::Json j = {{"mode", "floor"},
                    {"clients", o.clients},
                    {"transport", o.ws ? "ws" : "tcp"},
                    {"rate", Float64(o.rate)},
                    {"duration", Float64(o.duration)},
                    {"body", o.body},
                    {"payload", o.json_payload ? "json" : "stamp"},
                    {"compress", o.compress.empty() ? "none" : o.compress},
                    {"batch", o.batch},
                    {"deliveries", Float64(deliveries)},
                    {"writes", sum.writes},
                    {"waits", sum.waits},
                    {"bytes_per_delivery", Float64(static_cast<double>(sum.bytes) / deliveries)},
                    {"loops_cpu_s", Float64(sum.cpu)},
                    {"loops_ms_per_million", Float64(sum.cpu * 1e3 / mdel)},
                    {"bytes_read", got},
                    {"bytes_written", sum.bytes}};
    std::printf("%s\n", json::Dump(j).c_str());
  }
  return got == sum.bytes ? 0 : 3;
}

}  // namespace goim::bench
