// multi_push: goim's many-mids push tool, pointed at a real endpoint (goim's posts to
// /goim/push/mids=<b>, a path that does not exist). Usage as goim's:
//   multi_push <begin> <length> <logic addr> <seconds>
// 8 x cores threads; each POSTs /goim/push/mids?operation=1000&mids=<b>,...,<e-1> for its range
// with goim's body {"m":{"test":1},"u":[b..e)}.
#include "benchmarks/lib/tool.h"
#include "pkg/net/http_client.h"

int main(int argc, char** argv) {
  const char* usage = "multi_push <begin> <length> <logic addr> <seconds>";
  long long begin = goim::bench::Arg(argc, argv, 1, usage),
            length = goim::bench::Arg(argc, argv, 2, usage);
  std::string addr = goim::bench::HostPort(goim::bench::ArgStr(argc, argv, 3, usage));
  long long seconds = goim::bench::Arg(argc, argv, 4, usage);
  int threads = static_cast<int>(std::thread::hardware_concurrency()) * 8;
  goim::bench::RunPushers(threads, seconds, [&](int i, auto& stop, auto& ok, auto& failed) {
    long long per = std::max(1LL, length / threads);
    long long b = begin + per * i, e = b + per;
    std::string mids, u;
    for (long long m = b; m < e; ++m) {
      mids += (m == b ? "" : ",") + std::to_string(m);
      u += (m == b ? "" : ",") + std::to_string(m);
    }
    goim::net::HttpClient http(addr);
    std::string target = "/goim/push/mids?operation=1000&mids=" + mids;
    std::string body = "{\"m\":{\"test\":1},\"u\":[" + u + "]}";
    while (!stop) {
      auto r = http.Post(target, body, "application/json");
      (r.status == 200 && r.body.find("\"code\":0") != std::string::npos ? ok : failed)++;
    }
  });
}
