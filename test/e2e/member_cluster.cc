#include "test/e2e/member_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "test/e2e/cluster.h"

namespace goim::e2e {

namespace {
std::string Q(const std::string& s) { return "\"" + s + "\""; }
}  // namespace

bool WaitAddr(const std::string& addr, std::chrono::milliseconds timeout) {
  size_t colon = addr.rfind(':');
  std::string ip = addr.substr(0, colon);
  int port = std::stoi(addr.substr(colon + 1));
  return Eventually(
      [&] {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

MemberCluster::MemberCluster(Options o) : opts_(std::move(o)) {}

MemberCluster::~MemberCluster() {
  // Jobs and comets first, so nothing waits on a dead peer at exit; then etcd, then forwards.
  for (auto it = order_.rbegin(); it != order_.rend(); ++it) nodes_[*it]->proc.reset();
  etcd_.reset();
  forwards_.clear();
}

void MemberCluster::Start(int etcd_host) {
  broker_ = KafkaBroker();
  if (broker_.empty())
    throw std::runtime_error("no local Kafka broker (the ctest fixture kafka_start starts it)");
  int kafka_port = std::stoi(broker_.substr(broker_.rfind(':') + 1));
  for (const Host& h : opts_.hosts) {
    if (!h.ns.empty()) forwards_.push_back(std::make_unique<PortForward>(h.ns, kafka_port));
  }
  const Host& eh = opts_.hosts.at(static_cast<size_t>(etcd_host));
  etcd_ = std::make_unique<testing::EtcdServer>("etcd", eh.ip, eh.ns);
  etcd_->Start();
  etcd_endpoint_ = etcd_->endpoint();
  topic_ = NewTopic(broker_);
}

void MemberCluster::KillEtcd() { etcd_->Stop(SIGKILL); }
void MemberCluster::RestartEtcd() { etcd_->Start(); }

std::vector<std::string> MemberCluster::Names(const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto& name : order_) {
    if (nodes_.at(name)->kind == kind) out.push_back(name);
  }
  return out;
}

std::string MemberCluster::Yaml(const Node& n) const {
  std::string y = "env: {host: " + Q(n.name) + ", addrs: [" +
                  Q(opts_.hosts[static_cast<size_t>(n.host)].ip) + "]}\n";
  y += "discovery: {etcd: {endpoints: [" + Q(etcd_endpoint_) + "], ttl: " + opts_.ttl +
       ", dialTimeout: 1s}}\n";
  std::string kafka = "kafka:\n  brokers: [" + Q(broker_) + "]\n  topic: " + Q(topic_) + "\n";
  if (n.kind == "router") {
    y += "rpcServer: {addr: " + Q(n.grpc) + "}\nmetrics: {addr: " + Q(n.metrics) + "}\n";
  } else if (n.kind == "logic") {
    y += "rpcServer: {addr: " + Q(n.grpc) + "}\nhttpServer: {addr: " + Q(n.http) +
         (opts_.static_dir.empty() ? "" : ", staticDir: " + Q(opts_.static_dir)) + "}\n";
    if (opts_.ws_port)
      y += "node: {hostDomain: \"\", wsPort: " + std::to_string(opts_.ws_port) + "}\n";
    y += "router: {syncWait: " + opts_.sync_wait + "}\nonline: {tick: 500ms}\n";
    y += kafka;  // the producer's defaults (idempotent, linger.ms 0) suit the Kafka 4.x fixture
  } else if (n.kind == "comet") {
    std::string logics;
    for (const auto& name : Names("logic")) {
      logics += std::string(logics.empty() ? "" : ", ") + Q(nodes_.at(name)->grpc);
    }
    y += "rpcServer: {addr: " + Q(n.grpc) + "}\nrpcClient: {logic: [" + logics + "]}\n";
    y += "tcp: {bind: [" + Q(n.tcp) + "]}\nwebsocket: {bind: [" + Q(n.ws) + "]}\n";
    y += "online: {interval: 500ms}\nprotocol: {loops: 1}\nmetrics: {addr: " + Q(n.metrics) + "}\n";
  } else if (n.kind == "job") {
    y += kafka + "  properties: " + std::string(kKafkaConsumerProps) +
         "\n  group: " + Q("goim-e2e-job-" + topic_.substr(9)) + "\n";
    y += "consumer: {commitInterval: 100ms}\nroom: {signal: 20ms}\n";
    y += "comet: {failTimeout: 3s, timeout: 1s}\nmetrics: {addr: " + Q(n.metrics) + "}\n";
  }
  return y;
}

void MemberCluster::WaitUp(const Node& n) {
  for (const std::string& a : {n.grpc, n.http, n.tcp, n.metrics}) {
    if (!a.empty() && !WaitAddr(a))
      throw std::runtime_error(n.name + " did not come up on " + a + "; see " + n.proc->log_path());
  }
}

void MemberCluster::Add(const std::string& kind, const std::string& name, int host) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  n->name = name;
  n->host = host;
  const std::string& ip = opts_.hosts.at(static_cast<size_t>(host)).ip;
  auto addr = [&] { return ip + ":" + std::to_string(FreePort()); };
  if (kind != "job") n->grpc = addr();
  if (kind == "logic") n->http = addr();
  if (kind == "comet") {
    n->tcp = addr();
    n->ws = opts_.ws_port ? ip + ":" + std::to_string(opts_.ws_port) : addr();
  }
  n->metrics = kind == "logic" ? n->http : addr();  // logic serves /metrics on its HTTP port
  static const std::map<std::string, std::string> kBinary = {{"router", "goim-router"},
                                                             {"logic", "goim-logic"},
                                                             {"comet", "goim-comet"},
                                                             {"job", "goim-job"}};
  n->proc = std::make_unique<Process>(name, kBinary.at(kind), Yaml(*n));
  n->proc->SetNetns(opts_.hosts[static_cast<size_t>(host)].ns);
  n->proc->Start();
  WaitUp(*n);
  order_.push_back(name);
  nodes_[name] = std::move(n);
}

void MemberCluster::Kill(const std::string& name) { nodes_.at(name)->proc->Stop(SIGKILL); }

void MemberCluster::Restart(const std::string& name) {
  Node& n = *nodes_.at(name);
  n.proc->Start();
  WaitUp(n);
}

}  // namespace goim::e2e
