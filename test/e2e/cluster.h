// The two deployments the end-to-end suite runs against: one goim-standalone process, or router +
// logic + two comets + two jobs as separate processes on the local Kafka broker.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "test/e2e/harness.h"

namespace goim::e2e {

struct CometEndpoints {
  std::string name;  // server id
  std::string tcp, ws, grpc;
};

class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual void Start() = 0;
  virtual const char* mode() const = 0;
  std::string http;         // logic HTTP address
  std::string router_grpc;  // the router
  std::vector<CometEndpoints> comets;
  std::vector<std::string> job_metrics;  // each job's /metrics address (Kafka clusters)
  std::string topic;                     // the Kafka topic (Kafka clusters)
  std::vector<std::unique_ptr<Process>> procs;
};

struct KafkaClusterOptions {
  int comets = 2;
  int jobs = 2;
  std::string commit_interval = "100ms";
  std::string producer_props = "{}";  // logic's kafka.properties (a YAML flow map)
  // More top-level keys of logic's and job's files (e.g. a `history` section), whole lines.
  std::string shared_yaml;
};

// logic_yaml: more keys of logic's section, each line indented by two spaces; top_yaml: more
// top-level keys of the standalone file (e.g. `history`), whole lines.
std::unique_ptr<Cluster> MakeStandalone(const std::string& logic_yaml = "",
                                        const std::string& top_yaml = "");
// Topic and group are unique to each cluster.
std::unique_ptr<Cluster> MakeKafka(KafkaClusterOptions opts = {});
// A new topic on the local broker, "goim-e2e-<pid>-<n>", ready (all partitions) when returned.
std::string NewTopic(const std::string& broker);
// A counter or gauge read from a /metrics address (-1 when absent or unreachable).
double MetricAt(const std::string& addr, const std::string& name);

// The job processes of a Kafka cluster (for the kill/restart test).
std::vector<Process*> Jobs(Cluster& c);
Process* CometProcess(Cluster& c, const std::string& name);

}  // namespace goim::e2e
