#include "test/support/etcd_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/discovery/etcd_client.h"
#include "test/e2e/harness.h"

extern char** environ;

namespace goim::testing {

namespace {
std::string TestName() {
  auto* ti = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string n = ti ? std::string(ti->test_suite_name()) + "." + ti->name() : "etcd";
  for (char& c : n) {
    if (c == '/') c = '_';
  }
  return n;
}
}  // namespace

EtcdServer::EtcdServer(std::string name, std::string host, std::string netns)
    : name_(std::move(name)),
      host_(std::move(host)),
      netns_(std::move(netns)),
      client_port_(e2e::FreePort()),
      peer_port_(e2e::FreePort()) {
  char tmpl[] = "/tmp/goim-etcd-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("etcd fixture: mkdtemp failed");
  data_dir_ = tmpl;
  log_ = e2e::LogDir() + "/" + TestName() + "-" + name_ + ".log";
}

EtcdServer::~EtcdServer() {
  Stop(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

bool EtcdServer::Available() { return ::access("/usr/bin/etcd", X_OK) == 0; }

std::string EtcdServer::endpoint() const { return host_ + ":" + std::to_string(client_port_); }

void EtcdServer::Start() {
  if (pid_ > 0) return;
  std::string client = "http://" + endpoint();
  std::string peer = "http://" + host_ + ":" + std::to_string(peer_port_);
  std::vector<std::string> args;
  if (!netns_.empty()) args = {"/usr/sbin/ip", "netns", "exec", netns_};
  std::vector<std::string> etcd = {"/usr/bin/etcd",
                                   "--name=" + name_,
                                   "--data-dir=" + data_dir_,
                                   "--listen-client-urls=" + client,
                                   "--advertise-client-urls=" + client,
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=" + name_ + "=" + peer,
                                   "--initial-cluster-state=new",
                                   "--logger=zap",
                                   "--log-outputs=stderr",
                                   "--log-level=warn"};
  args.insert(args.end(), etcd.begin(), etcd.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const char* log = log_.c_str();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("etcd fixture: fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      if (fd > 2) ::close(fd);
    }
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  pid_ = pid;
  discovery::EtcdClient probe({endpoint()}, std::chrono::milliseconds(500));
  bool up = e2e::Eventually(
      [&] {
        etcdserverpb::RangeResponse r;
        return probe.RangePrefix("/", &r).ok();
      },
      std::chrono::seconds(30));
  if (!up) throw std::runtime_error("etcd did not start; see " + log_);
}

void EtcdServer::Stop(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  int status;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace goim::testing
