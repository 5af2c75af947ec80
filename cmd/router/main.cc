// goim-router -conf configs/router.yaml: the session store.
#include <glog/logging.h>

#include "cmd/main_util.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/http_server.h"
#include "router/router_server.h"

int main(int argc, char** argv) {
  goim::router::Config cfg;
  if (!goim::cmd::LoadConfig(argc, argv, "configs/router.yaml", &cfg)) return 0;
  goim::log::Init(argv[0], cfg.env.debug ? 1 : 0);
  goim::cmd::BlockStopSignals();
  try {
    goim::router::RouterServer server(cfg);
    server.Start();
    goim::net::LoopPool loops(1, "router-http");
    std::unique_ptr<goim::net::HttpServer> metrics;
    if (!cfg.metrics.addr.empty()) {
      metrics = std::make_unique<goim::net::HttpServer>(loops, goim::net::MetricsHandler(), goim::net::HttpServer::Options{});
      metrics->Listen(cfg.metrics.addr);
      loops.Start();
    }
    int sig = goim::cmd::WaitForSignal();
    LOG(INFO) << "router: signal " << sig << ", shutting down";
    if (metrics) metrics->Close();
    loops.Stop();
    server.Stop();
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  return 0;
}
