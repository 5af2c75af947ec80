// Hosts for multi-host end-to-end tests: network namespaces joined by veth links to a bridge
// (in a namespace of its own, so the machine's firewall never sees the traffic), one address each
// in a private /24, and a veth from the test's own namespace so the test reaches every host. Made
// as root with `ip`, torn down when destroyed; namespaces left by a test process that died are
// removed first. PortForward carries a loopback port of a host to the same port on the test's
// loopback (the local Kafka broker advertises 127.0.0.1, and every host reaches it so).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace goim::e2e {

struct Host {
  std::string ns;  // "" = the test's own namespace
  std::string ip;
};

class NetHosts {
 public:
  // Whether hosts can be made here; why not, when not.
  static bool Supported(std::string* why);
  explicit NetHosts(int n);
  ~NetHosts();
  const std::vector<Host>& hosts() const { return hosts_; }

 private:
  void Sh(const std::string& cmd);
  std::string id_, switch_ns_, root_if_;
  std::vector<Host> hosts_;
};

class PortForward {
 public:
  // Listens on 127.0.0.1:port inside netns; each connection is relayed to 127.0.0.1:port in
  // the test's own namespace. Throws std::runtime_error when it cannot listen.
  PortForward(const std::string& netns, int port);
  ~PortForward();

 private:
  void Accept();
  static void Pump(int a, int b);
  int listen_fd_ = -1;
  int port_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
  std::thread acceptor_;
};

}  // namespace goim::e2e
