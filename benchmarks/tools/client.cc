// client: goim's benchmark client. Usage as goim's:
//   client <begin mid> <count> <comet addr> [ws] [ramp seconds]
// e.g. client 1 1000 localhost:3101. Each connection waits a random 0-120 s (goim's ramp; the
// optional last argument changes it), authenticates as goim's client does
// ({"mid":<mid>,"key":"","room_id":"test://1","platform":"ios","accepts":[1000,1001,1002]}),
// heartbeats every 240 s, counts every received frame other than 8 and 3, and reconnects after a
// random 0-10 s on error. Every 5 s it prints "<time> alive:N down:N down/s:N". "ws" dials the
// comet's WebSocket port (/sub) instead of TCP. Connections share a few threads.
#include <cstdio>
#include <string>

#include "benchmarks/lib/fleet.h"
#include "benchmarks/lib/tool.h"

int main(int argc, char** argv) {
  const char* usage = "client <begin mid> <count> <comet addr> [ws] [ramp seconds]";
  goim::bench::FleetOptions o;
  o.mid_begin = goim::bench::Arg(argc, argv, 1, usage);
  o.count = static_cast<int>(goim::bench::Arg(argc, argv, 2, usage));
  o.addr = goim::bench::HostPort(goim::bench::ArgStr(argc, argv, 3, usage));
  int next = 4;
  if (argc > next && std::string(argv[next]) == "ws") {
    o.websocket = true;
    ++next;
  }
  o.ramp = std::chrono::seconds(argc > next ? goim::bench::Arg(argc, argv, next, usage) : 120);
  o.threads = 2;
  goim::bench::Fleet fleet(o, nullptr);
  fleet.Start();
  long long last = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(5));
    long long now = fleet.received();
    std::printf("%s alive:%lld down:%lld down/s:%lld\n", goim::bench::Now().c_str(),
                static_cast<long long>(fleet.alive()), now, (now - last) / 5);
    std::fflush(stdout);
    last = now;
  }
}
