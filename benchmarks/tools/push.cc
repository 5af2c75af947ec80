// push: goim's push-to-mids load tool. Usage as goim's:
//   push <begin> <length> <logic addr> <seconds>
// e.g. push 0 20000 localhost:3111 60. 2 x cores threads split [begin, begin+length); each POSTs
// /goim/push/mids?operation=1000&mids=<first of its range> in a tight loop with goim's body
// {"m":{"test":1},"u":<mid>}.
#include "benchmarks/lib/tool.h"
#include "pkg/net/http_client.h"

int main(int argc, char** argv) {
  const char* usage = "push <begin> <length> <logic addr> <seconds>";
  long long begin = goim::bench::Arg(argc, argv, 1, usage),
            length = goim::bench::Arg(argc, argv, 2, usage);
  std::string addr = goim::bench::HostPort(goim::bench::ArgStr(argc, argv, 3, usage));
  long long seconds = goim::bench::Arg(argc, argv, 4, usage);
  int threads = static_cast<int>(std::thread::hardware_concurrency()) * 2;
  goim::bench::RunPushers(threads, seconds, [&](int i, auto& stop, auto& ok, auto& failed) {
    long long b = begin + length / threads * i;
    goim::net::HttpClient http(addr);
    std::string target = "/goim/push/mids?operation=1000&mids=" + std::to_string(b);
    std::string body = "{\"m\":{\"test\":1},\"u\":" + std::to_string(b) + "}";
    while (!stop) {
      auto r = http.Post(target, body, "application/json");
      (r.status == 200 && r.body.find("\"code\":0") != std::string::npos ? ok : failed)++;
    }
  });
}
