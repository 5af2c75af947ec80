// push_rooms: goim's many-rooms load tool. Usage as goim's (optional duration added):
//   push_rooms <start room> <rooms> <logic addr> <pushes per thread per second> [seconds]
// e.g. push_rooms 0 20000 localhost:3111 40. 2 x cores threads split the room range; each POSTs
// /goim/push/room?operation=1000&type=test&room=<i> with body {"test":1}, pausing 1 s / N.
#include "benchmarks/lib/tool.h"
#include "pkg/net/http_client.h"

int main(int argc, char** argv) {
  const char* usage =
      "push_rooms <start room> <rooms> <logic addr> <pushes per thread per second> [seconds]";
  long long start = goim::bench::Arg(argc, argv, 1, usage),
            rooms = goim::bench::Arg(argc, argv, 2, usage);
  std::string addr = goim::bench::HostPort(goim::bench::ArgStr(argc, argv, 3, usage));
  long long rate = goim::bench::Arg(argc, argv, 4, usage);
  long long seconds = argc > 5 ? goim::bench::Arg(argc, argv, 5, usage) : 0;
  int threads = static_cast<int>(std::thread::hardware_concurrency()) * 2;
  goim::bench::RunPushers(threads, seconds, [&](int i, auto& stop, auto& ok, auto& failed) {
    long long per = std::max(1LL, rooms / threads);
    long long b = start + per * i, e = b + per;
    goim::net::HttpClient http(addr);
    auto pause = std::chrono::microseconds(1000000 / std::max(1LL, rate));
    while (!stop) {
      for (long long r = b; r < e && !stop; ++r) {
        auto res = http.Post("/goim/push/room?operation=1000&type=test&room=" + std::to_string(r),
                             "{\"test\":1}", "application/json");
        (res.status == 200 && res.body.find("\"code\":0") != std::string::npos ? ok : failed)++;
        std::this_thread::sleep_for(pause);
      }
    }
  });
}
