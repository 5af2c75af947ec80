#include "test/e2e/cluster.h"

#include "pkg/metrics/metrics.h"
#include "pkg/net/http_client.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace goim::e2e {

namespace {

std::string Q(const std::string& s) { return "\"" + s + "\""; }

// A comet's section, with short report intervals so online counts and stale comets show up within
// a test.
std::string CometYaml(const CometEndpoints& c, const std::string& logic_grpc, bool nested) {
  std::string in = nested ? "  " : "";
  std::string y;
  if (!nested) y += "env: {host: " + Q(c.name) + "}\n";
  y += in + "rpcServer: {addr: " + Q(c.grpc) + "}\n";
  if (!logic_grpc.empty()) y += in + "rpcClient: {logic: [" + Q(logic_grpc) + "]}\n";
  y += in + "tcp: {bind: [" + Q(c.tcp) + "]}\n";
  y += in + "websocket: {bind: [" + Q(c.ws) + "]}\n";
  y += in + "online: {interval: 200ms}\n" + in + "protocol: {loops: 2}\n" + in +
       "metrics: {addr: \"\"}\n";
  return y;
}

std::string CometList(const std::vector<CometEndpoints>& comets) {
  std::string y = "[";
  for (size_t i = 0; i < comets.size(); ++i) {
    y += std::string(i ? ", " : "") + "{hostname: " + Q(comets[i].name) +
         ", grpc: " + Q(comets[i].grpc) + ", addrs: [\"127.0.0.1\"]}";
  }
  return y + "]";
}

CometEndpoints NewComet(const std::string& name) {
  return {name, Loopback(FreePort()), Loopback(FreePort()), Loopback(FreePort())};
}

int PortOf(const std::string& addr) { return std::stoi(addr.substr(addr.rfind(':') + 1)); }

class Standalone : public Cluster {
 public:
  Standalone(std::string logic_yaml, std::string top_yaml)
      : logic_yaml_(std::move(logic_yaml)), top_yaml_(std::move(top_yaml)) {}
  const char* mode() const override { return "standalone"; }
  void Start() override {
    comets.push_back(NewComet("standalone"));
    http = Loopback(FreePort());
    router_grpc = Loopback(FreePort());
    std::string logic_grpc = Loopback(FreePort());
    std::string y = "env: {host: \"standalone\"}\n" + top_yaml_;
    y += "router:\n  rpcServer: {addr: " + Q(router_grpc) +
         "}\n  online: {stale: 3s}\n  metrics: {addr: \"\"}\n";
    y += "logic:\n  rpcServer: {addr: " + Q(logic_grpc) + "}\n  httpServer: {addr: " + Q(http) +
         "}\n  online: {tick: 200ms}\n" + logic_yaml_;
    y += "comet:\n" + CometYaml(comets[0], "", true);
    y += "job:\n  room: {signal: 20ms}\n  metrics: {addr: \"\"}\n";
    procs.push_back(std::make_unique<Process>("standalone", "goim-standalone", y));
    procs.back()->Start();
    for (const std::string& addr :
         {comets[0].tcp, comets[0].ws, comets[0].grpc, http, logic_grpc, router_grpc}) {
      if (!WaitPort(PortOf(addr)))
        throw std::runtime_error("standalone did not start; see " + procs.back()->log_path());
    }
  }

 private:
  std::string logic_yaml_;
  std::string top_yaml_;
};

class Kafka : public Cluster {
 public:
  explicit Kafka(KafkaClusterOptions o) : opts_(std::move(o)) {}
  const char* mode() const override { return "kafka"; }
  void Start() override {
    std::string broker = KafkaBroker();
    if (broker.empty())
      throw std::runtime_error("no local Kafka broker (the e2e_kafka ctest fixture starts it)");
    topic = NewTopic(broker);
    std::string group = "goim-e2e-job-" + topic.substr(9);
    std::string kafka = "kafka:\n  brokers: [" + Q(broker) + "]\n  topic: " + Q(topic) + "\n";
    router_grpc = Loopback(FreePort());
    http = Loopback(FreePort());
    std::string logic_grpc = Loopback(FreePort());
    for (int i = 1; i <= opts_.comets; ++i)
      comets.push_back(NewComet("comet-" + std::to_string(i)));

    Add("router", "goim-router",
        "rpcServer: {addr: " + Q(router_grpc) + "}\nonline: {stale: 3s}\nmetrics: {addr: \"\"}\n");
    Add("logic", "goim-logic",
        "rpcServer: {addr: " + Q(logic_grpc) + "}\nhttpServer: {addr: " + Q(http) +
            "}\nrouter:\n  nodes: {router-1: " + Q(router_grpc) + "}\nonline: {tick: 200ms}\n" +
            kafka + "  properties: " + opts_.producer_props + "\ncomets: " + CometList(comets) +
            "\n" + opts_.shared_yaml);
    for (const auto& c : comets) Add(c.name, "goim-comet", CometYaml(c, logic_grpc, false));
    for (int i = 1; i <= opts_.jobs; ++i) {
      job_metrics.push_back(Loopback(FreePort()));
      Add("job-" + std::to_string(i), "goim-job",
          kafka + "  properties: " + kKafkaConsumerProps + "\n  group: " + Q(group) +
              "\nconsumer: {commitInterval: " + opts_.commit_interval +
              "}\nroom: {signal: 20ms}\n" +
              "comet: {failTimeout: 3s, timeout: 1s}\ncomets: " + CometList(comets) +
              "\nmetrics: {addr: " + Q(job_metrics.back()) + "}\n" + opts_.shared_yaml);
    }
    for (const std::string& addr : {router_grpc, http, logic_grpc}) {
      if (!WaitPort(PortOf(addr)))
        throw std::runtime_error("router or logic did not start; see " + LogDir());
    }
    for (const auto& c : comets) {
      for (const std::string& addr : {c.tcp, c.ws, c.grpc}) {
        if (!WaitPort(PortOf(addr)))
          throw std::runtime_error(c.name + " did not start; see " + LogDir());
      }
    }
  }

 private:
  void Add(const std::string& name, const std::string& bin, const std::string& yaml) {
    procs.push_back(std::make_unique<Process>(name, bin, yaml));
    procs.back()->Start();
  }
  KafkaClusterOptions opts_;
};

}  // namespace

std::string NewTopic(const std::string& broker) {
  static std::atomic<int> seq{0};
  std::string topic = "goim-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(seq++);
  // The broker creates a topic (num.partitions=4) on its first metadata request: make it exist,
  // with a leader for each partition, before anyone produces or subscribes.
  std::string kcat = "kcat -b " + broker + " -m 5 -L -t " + topic +
                     " 2>/dev/null | grep -q 'partition 3, leader [0-9]'";
  if (!Eventually([&] { return std::system(kcat.c_str()) == 0; }, 30s))
    throw std::runtime_error("topic " + topic + " was not created");
  return topic;
}

std::unique_ptr<Cluster> MakeStandalone(const std::string& logic_yaml,
                                        const std::string& top_yaml) {
  return std::make_unique<Standalone>(logic_yaml, top_yaml);
}
std::unique_ptr<Cluster> MakeKafka(KafkaClusterOptions opts) {
  return std::make_unique<Kafka>(std::move(opts));
}

double MetricAt(const std::string& addr, const std::string& name) {
  net::HttpClient http(addr, std::chrono::seconds(2));
  auto r = http.Get("/metrics");
  if (r.status != 200) return -1;
  for (const auto& [k, v] : metrics::ParseText(r.body)) {
    if (k == name) return v;
  }
  return -1;
}

std::vector<Process*> Jobs(Cluster& c) {
  std::vector<Process*> out;
  for (auto& p : c.procs) {
    if (p->name().rfind("job-", 0) == 0) out.push_back(p.get());
  }
  return out;
}

Process* CometProcess(Cluster& c, const std::string& name) {
  for (auto& p : c.procs) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

}  // namespace goim::e2e
