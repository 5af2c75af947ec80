// A throw-away etcd server for tests: Debian's /usr/bin/etcd on free ports (the e2e harness's
// FreePort), its own data directory (removed afterwards), log in build/e2e-logs/, stopped by PID.
// It can run inside a network namespace the test made (`ip netns exec`), bound to that host's
// address. [test thread only]
#pragma once

#include <sys/types.h>

#include <string>

namespace goim::testing {

class EtcdServer {
 public:
  // host: the address it binds (client and peer URLs); netns: "" or a namespace to run it in.
  explicit EtcdServer(std::string name = "etcd", std::string host = "127.0.0.1",
                      std::string netns = "");
  ~EtcdServer();

  // Whether Debian's etcd is installed (tests skip without it).
  static bool Available();

  // Starts (or restarts, same ports and data) and waits until it answers; throws on failure.
  void Start();
  // SIGTERM (clean) or SIGKILL; waits for the exit.
  void Stop(int sig = 15);
  bool running() const { return pid_ > 0; }
  // host:port of the client URL.
  std::string endpoint() const;
  const std::string& log_path() const { return log_; }

 private:
  std::string name_, host_, netns_, data_dir_, log_;
  int client_port_, peer_port_;
  pid_t pid_ = -1;
};

}  // namespace goim::testing
