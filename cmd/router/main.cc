// goim-router -conf configs/router.yaml: the session store.
#include <glog/logging.h>

#include "cmd/main_util.h"
#include "router/membership.h"
#include "router/router_server.h"

int main(int argc, char** argv) {
  goim::router::Config cfg;
  if (!goim::cmd::LoadConfig(argc, argv, "configs/router.yaml", &cfg)) return 0;
  goim::log::Init(argv[0], cfg.env.debug ? 1 : 0);
  goim::cmd::BlockStopSignals();
  try {
    goim::router::RouterServer server(cfg);
    server.Start();
    goim::router::Membership membership(cfg, server);  // etcd: register goim.router
    membership.Start();
    auto metrics = std::make_unique<goim::cmd::MetricsEndpoint>(cfg.metrics.addr, "router-http");
    int sig = goim::cmd::WaitForSignal();
    LOG(INFO) << "router: signal " << sig << ", shutting down";
    membership.Stop();
    metrics.reset();
    server.Stop();
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  return 0;
}
