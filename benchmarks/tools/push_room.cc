// push_room: goim's room push load tool. Usage as goim's (optional duration added):
//   push_room <room id> <pushes per second> <logic addr> [seconds]
// e.g. push_room 1 20 localhost:3111. <pushes per second> threads, staggered by 1 s / N, each
// POSTs /goim/push/room?operation=1000&type=test&room=<id> with body {"test":<i>} once a second.
#include "benchmarks/lib/tool.h"
#include "pkg/net/http_client.h"

int main(int argc, char** argv) {
  const char* usage = "push_room <room id> <pushes per second> <logic addr> [seconds]";
  std::string room = goim::bench::ArgStr(argc, argv, 1, usage);
  int rate = static_cast<int>(goim::bench::Arg(argc, argv, 2, usage));
  std::string addr = goim::bench::HostPort(goim::bench::ArgStr(argc, argv, 3, usage));
  long long seconds = argc > 4 ? goim::bench::Arg(argc, argv, 4, usage) : 0;
  goim::bench::RunPushers(rate, seconds, [&](int i, auto& stop, auto& ok, auto& failed) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000) * i / rate);
    goim::net::HttpClient http(addr);
    std::string target = "/goim/push/room?operation=1000&type=test&room=" + room;
    auto next = std::chrono::steady_clock::now();
    for (long long n = 0; !stop; ++n) {
      auto r = http.Post(target, "{\"test\":" + std::to_string(n) + "}", "application/json");
      (r.status == 200 && r.body.find("\"code\":0") != std::string::npos ? ok : failed)++;
      next += std::chrono::seconds(1);
      std::this_thread::sleep_until(next);
    }
  });
}
