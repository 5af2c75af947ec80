// goim-comet -conf configs/comet.yaml: the TCP/WebSocket edge.
#include <glog/logging.h>

#include "cmd/main_util.h"
#include "comet/membership.h"
#include "comet/server.h"

int main(int argc, char** argv) {
  goim::comet::Config cfg;
  if (!goim::cmd::LoadConfig(argc, argv, "configs/comet.yaml", &cfg)) return 0;
  goim::log::Init(argv[0], cfg.env.debug ? 1 : 0);
  goim::cmd::BlockStopSignals();
  goim::comet::Server server(cfg);
  goim::comet::Membership membership(server);  // etcd: register goim.comet
  try {
    server.Start();
    membership.Start();
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  int sig = goim::cmd::WaitForSignal();
  LOG(INFO) << "comet: signal " << sig << ", shutting down";
  membership.Stop();
  server.Stop();
  return 0;
}
