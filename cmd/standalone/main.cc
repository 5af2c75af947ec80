// goim-standalone -conf configs/standalone.yaml: router, logic, comet and job in one process,
// the embedded queue in place of Kafka, on the services' usual ports.
#include <iostream>
#include <random>

#include <glog/logging.h>

#include "cmd/main_util.h"
#include "cmd/standalone/config.h"
#include "comet/server.h"
#include "job/job.h"
#include "logic/logic_server.h"
#include "pkg/queue/embedded.h"
#include "router/router_server.h"

int main(int argc, char** argv) {
  goim::standalone::Config cfg;
  if (!goim::cmd::LoadConfig(argc, argv, "configs/standalone.yaml", &cfg)) return 0;
  goim::log::Init(argv[0], cfg.env.debug ? 1 : 0);
  goim::cmd::BlockStopSignals();
  try {
    goim::router::RouterServer router(cfg.router);
    router.Start();
    auto queue = goim::queue::Embedded::Create(cfg.queue.partitions,
                                               static_cast<size_t>(cfg.queue.capacity));
    auto producer = queue->NewProducer();
    // Room history: one store, appended to by job, read by logic.
    std::shared_ptr<goim::history::Store> history;
    if (cfg.history.enabled) {
      std::string err;
      history = goim::history::Open(cfg.history, &err);
      if (!history) throw std::runtime_error("standalone: " + err);
    }
    goim::logic::LogicServer logic(cfg.logic, producer.get(), goim::time::SystemClock(), history);
    logic.Start();
    goim::comet::Server comet(cfg.comet);
    comet.Start();
    goim::job::Job job(cfg.job, queue->NewConsumer());
    // The embedded queue starts over with each process: its positions are this run's alone.
    if (history) job.SetHistory(history, "embedded:" + std::to_string(std::random_device{}()));
    job.Start();

    std::string http = "http://127.0.0.1:" + std::to_string(logic.http_port());
    std::cout << "goim-standalone ready\n"
              << "  comet TCP        127.0.0.1:" << comet.tcp_port() << "\n"
              << "  comet WebSocket  ws://127.0.0.1:" << comet.ws_port() << "/sub\n"
              << "  logic HTTP API   " << http << "/goim/...\n"
              << (cfg.logic.httpServer.staticDir.empty() ? ""
                                                         : "  danmaku page     " + http + "/\n")
              << "  metrics          " << http << "/metrics\n"
              << "  push to a room:  curl -d 'hello' '" << http
              << "/goim/push/room?operation=1000&type=live&room=1000'\n"
              << "Ctrl-C stops it." << std::endl;

    int sig = goim::cmd::WaitForSignal();
    LOG(INFO) << "standalone: signal " << sig << ", shutting down";
    job.Stop();
    comet.Stop();
    logic.Stop();
    router.Stop();
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  return 0;
}
