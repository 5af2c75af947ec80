// goim-job -conf configs/job.yaml: consumes goim-push-topic and fans out to the comets.
#include <glog/logging.h>

#include "cmd/main_util.h"
#include "job/job.h"
#include "job/membership.h"
#include "pkg/queue/kafka.h"

int main(int argc, char** argv) {
  goim::job::Config cfg;
  if (!goim::cmd::LoadConfig(argc, argv, "configs/job.yaml", &cfg)) return 0;
  goim::log::Init(argv[0], cfg.env.debug ? 1 : 0);
  goim::cmd::BlockStopSignals();
  try {
    goim::job::Job job(cfg, goim::queue::NewKafkaConsumer(cfg.KafkaOptions()));
    if (cfg.history.enabled) {
      // Room history: appended before sending, idempotent on the Kafka (topic, partition, offset).
      std::string err;
      std::shared_ptr<goim::history::Store> store = goim::history::Open(cfg.history, &err);
      if (!store) throw std::runtime_error("job: " + err);
      job.SetHistory(std::move(store), "kafka:" + cfg.kafka.topic);
    }
    job.Start();
    goim::job::Membership membership(cfg, job);  // etcd: the comets from the membership
    membership.Start();
    auto metrics = std::make_unique<goim::cmd::MetricsEndpoint>(cfg.metrics.addr, "job-http");
    int sig = goim::cmd::WaitForSignal();
    LOG(INFO) << "job: signal " << sig << ", shutting down";
    membership.Stop();
    metrics.reset();
    job.Stop();
  } catch (const std::exception& e) {
    LOG(ERROR) << e.what();
    return 1;
  }
  return 0;
}
