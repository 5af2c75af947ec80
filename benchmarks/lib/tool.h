// What the goim load tools share: goim's log-line timestamp, argument parsing that fails with a
// usage line, and a pusher loop that counts results and prints them every 5 s.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace goim::bench {

// "2006-01-02 15:04:05", as goim's tools print.
inline std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return buf;
}

inline long long Arg(int argc, char** argv, int i, const char* usage) {
  if (i >= argc) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  char* end = nullptr;
  long long v = std::strtoll(argv[i], &end, 10);
  if (!end || *end) {
    std::fprintf(stderr, "usage: %s\n'%s' is not a number\n", usage, argv[i]);
    std::exit(2);
  }
  return v;
}

inline std::string ArgStr(int argc, char** argv, int i, const char* usage) {
  if (i >= argc) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  return argv[i];
}

// goim's tools accept "localhost:3111" and plain "host:port".
inline std::string HostPort(std::string addr) {
  if (addr.rfind("http://", 0) == 0) addr = addr.substr(7);
  if (addr.rfind("localhost:", 0) == 0) addr = "127.0.0.1" + addr.substr(9);
  return addr;
}

// Runs `threads` workers (work(i, ok, failed) loops until stop) for `seconds` (0: forever),
// printing "<time> ok:N failed:N ok/s:N" every 5 s.
inline void RunPushers(int threads, long long seconds,
                       const std::function<void(int, std::atomic<bool>&, std::atomic<long long>&,
                                                std::atomic<long long>&)>& work) {
  std::atomic<bool> stop{false};
  std::atomic<long long> ok{0}, failed{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i) ts.emplace_back([&, i] { work(i, stop, ok, failed); });
  auto start = std::chrono::steady_clock::now();
  long long last = 0;
  while (seconds == 0 || std::chrono::steady_clock::now() - start < std::chrono::seconds(seconds)) {
    auto left = seconds == 0 ? std::chrono::seconds(5)
                             : std::min<std::chrono::nanoseconds>(
                                   std::chrono::seconds(5), start + std::chrono::seconds(seconds) -
                                                                std::chrono::steady_clock::now());
    std::this_thread::sleep_for(left);
    long long now = ok.load();
    std::printf("%s ok:%lld failed:%lld ok/s:%lld\n", Now().c_str(), now, failed.load(),
                (now - last) / 5);
    std::fflush(stdout);
    last = now;
  }
  stop = true;
  for (auto& t : ts) t.join();
  std::printf("%s done ok:%lld failed:%lld\n", Now().c_str(), ok.load(), failed.load());
}

}  // namespace goim::bench
