// End-to-end harness: starts the real binaries as processes (stopped by PID), on free loopback
// ports, each with a YAML file written for it; logs go to build/e2e-logs/. Waits are on events
// (a port accepting, a condition becoming true), bounded by timeouts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace goim::e2e {

using namespace std::chrono_literals;

// A free TCP port on 127.0.0.1 for a server a test starts. Drawn from kTestPortFirst-Last, below
// the kernel's ephemeral range (32768-60999 here), so no outgoing connection takes it meanwhile,
// and reserved by a lock file under /tmp/goim-test-ports-<uid> for this process's life, so test
// processes running side by side (ctest -j) never pick the same port. scripts/kafka.sh draws
// from 28000-31999, apart from these.
constexpr int kTestPortFirst = 20000;
constexpr int kTestPortLast = 27999;
int FreePort();
bool WaitPort(int port, std::chrono::milliseconds timeout = 20s);
bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 20s);
std::string Loopback(int port);

class Process {
 public:
  // binary: a name under the build's cmd/ (goim-comet, ...); yaml: its config file content.
  Process(std::string name, std::string binary, std::string yaml,
          std::vector<std::string> extra_args = {});
  ~Process();
  // Runs it in network namespace ns (`ip netns exec`) from the next Start on.
  void SetNetns(std::string ns) { netns_ = std::move(ns); }
  void Start();
  // SIGTERM (graceful) or SIGKILL; waits for the exit.
  void Stop(int sig = 15);
  bool running() const;
  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  std::string log_path() const { return log_; }

 private:
  std::string name_, binary_, conf_, log_;
  std::vector<std::string> extra_;
  std::string netns_;
  pid_t pid_ = -1;
};

// Where things are: set by CMake.
std::string BinDir();
std::string LogDir();
// The local Kafka broker started by the ctest fixture (scripts/kafka.sh), or "".
std::string KafkaBroker();
// That broker killed (SIGKILL, a crash) or stopped cleanly (scripts/kafka.sh stop), and started
// again on the same address; false with a message in the test log when it did not.
bool KafkaBrokerKill();
bool KafkaBrokerStop();
bool KafkaBrokerStart();
// Every message value of a topic from the beginning to its end (kcat), one per line.
std::string ReadTopic(const std::string& topic);

// librdkafka settings that keep test latency low, as YAML flow maps: for job's consumer. The
// broker is Kafka 4.x: nothing version-specific.
inline const char* kKafkaConsumerProps =
    "{session.timeout.ms: \"6000\", heartbeat.interval.ms: \"500\", "
    "topic.metadata.refresh.interval.ms: \"1000\", fetch.wait.max.ms: \"10\"}";

}  // namespace goim::e2e
