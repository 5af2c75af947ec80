#include "test/e2e/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace goim::e2e {

namespace {

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 256> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  ::pclose(p);
  return out;
}

// Namespaces and links of test processes that died without tearing down (named goim-<pid>-*).
void RemoveStale() {
  std::string list = Run("ip netns list 2>/dev/null");
  size_t pos = 0;
  while ((pos = list.find("goim-", pos)) != std::string::npos) {
    size_t end = list.find_first_of(" \n", pos);
    std::string name = list.substr(pos, end - pos);
    pos = end;
    size_t dash = name.find('-', 5);
    if (dash == std::string::npos) continue;
    int pid = std::atoi(name.substr(5, dash - 5).c_str());
    if (pid > 0 && ::kill(pid, 0) != 0)
      std::system(("ip netns del " + name + " 2>/dev/null").c_str());
  }
}

}  // namespace

bool NetHosts::Supported(std::string* why) {
  if (::geteuid() != 0) {
    *why = "network namespaces need root (run the test as root)";
    return false;
  }
  if (::access("/usr/sbin/ip", X_OK) != 0) {
    *why = "iproute2's ip is not installed";
    return false;
  }
  return true;
}

void NetHosts::Sh(const std::string& cmd) {
  if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("netns set-up failed: " + cmd);
}

NetHosts::NetHosts(int n) {
  RemoveStale();
  std::string pid = std::to_string(::getpid());
  id_ = pid;
  // A /24 nobody routes here: 10.213.<x>.0, x from the pid.
  std::string net = "10.213." + std::to_string(1 + ::getpid() % 250) + ".";
  switch_ns_ = "goim-" + pid + "-sw";
  root_if_ = "gv" + pid + "r";
  Sh("ip netns add " + switch_ns_);
  Sh("ip netns exec " + switch_ns_ + " ip link add br0 type bridge");
  Sh("ip netns exec " + switch_ns_ + " ip link set br0 up");
  // The test's own leg.
  Sh("ip link add " + root_if_ + " type veth peer name rp netns " + switch_ns_);
  Sh("ip netns exec " + switch_ns_ + " ip link set rp master br0 up");
  Sh("ip addr add " + net + "254/24 dev " + root_if_);
  Sh("ip link set " + root_if_ + " up");
  for (int i = 1; i <= n; ++i) {
    std::string ns = "goim-" + pid + "-h" + std::to_string(i);
    std::string leg = "h" + std::to_string(i);
    Sh("ip netns add " + ns);
    Sh("ip netns exec " + ns + " ip link set lo up");
    Sh("ip link add eth0 netns " + ns + " type veth peer name " + leg + " netns " + switch_ns_);
    Sh("ip netns exec " + switch_ns_ + " ip link set " + leg + " master br0 up");
    Sh("ip netns exec " + ns + " ip addr add " + net + std::to_string(i) + "/24 dev eth0");
    Sh("ip netns exec " + ns + " ip link set eth0 up");
    hosts_.push_back({ns, net + std::to_string(i)});
  }
}

NetHosts::~NetHosts() {
  for (const auto& h : hosts_) std::system(("ip netns del " + h.ns + " 2>/dev/null").c_str());
  // Deleting the switch namespace takes every veth pair with it, the test's leg included.
  std::system(("ip netns del " + switch_ns_ + " 2>/dev/null").c_str());
  std::system(("ip link del " + root_if_ + " 2>/dev/null").c_str());
}

PortForward::PortForward(const std::string& netns, int port) : port_(port) {
  // The listening socket is made inside netns by a thread that enters it (setns affects only the
  // calling thread); the connections to the target are made back in our own namespace.
  std::string err;
  std::thread maker([&] {
    int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      err = "cannot enter " + netns;
    } else {
      listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(static_cast<uint16_t>(port));
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
          ::listen(listen_fd_, 64) != 0)
        err = "cannot listen on 127.0.0.1:" + std::to_string(port) + " in " + netns;
      ::setns(self, CLONE_NEWNET);
    }
    if (self >= 0) ::close(self);
    if (target >= 0) ::close(target);
  });
  maker.join();
  if (!err.empty()) throw std::runtime_error("port forward: " + err);
  acceptor_ = std::thread([this] { Accept(); });
}

PortForward::~PortForward() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : threads_) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : fds_) ::close(fd);
  ::close(listen_fd_);
}

void PortForward::Accept() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int in = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (in < 0) continue;
    int out = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port_));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(out, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      ::close(in);
      ::close(out);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(in);
    fds_.push_back(out);
    threads_.emplace_back([in, out] { Pump(in, out); });
  }
}

void PortForward::Pump(int a, int b) {
  char buf[16384];
  pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  while (true) {
    if (::poll(p, 2, 200) < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(p[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        ::shutdown(a, SHUT_RDWR);
        ::shutdown(b, SHUT_RDWR);
        return;
      }
      int to = i == 0 ? b : a;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) return;
        off += w;
      }
    }
  }
}

}  // namespace goim::e2e
