// goim-logic -conf configs/logic.yaml: auth, the HTTP push API, the Kafka producer.
#include <glog/logging.h>

#include "cmd/main_util.h"
#include "logic/logic_server.h"
#include "logic/membership.h"

int main(int argc, char** argv) {
  goim::logic::Config cfg;
  if (!goim::cmd::LoadConfig(argc, argv, "configs/logic.yaml", &cfg)) return 0;
  goim::log::Init(argv[0], cfg.env.debug ? 1 : 0);
  goim::cmd::BlockStopSignals();
  try {
    goim::logic::LogicServer server(cfg);
    // etcd: comets and routers from the membership, then register goim.logic
    goim::logic::Membership membership(cfg, server.core());
    membership.Follow();
    server.Start();
    membership.Register(server.grpc_port());
    int sig = goim::cmd::WaitForSignal();
    LOG(INFO) << "logic: signal " << sig << ", shutting down";
    membership.Stop();
    server.Stop();
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  return 0;
}
