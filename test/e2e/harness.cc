#include "test/e2e/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace goim::e2e {

namespace {
// The running test's name, for file names.
std::string CurrentTest() {
  auto* ut = ::testing::UnitTest::GetInstance();
  std::string n = "e2e";
  if (auto* ti = ut->current_test_info())
    n = std::string(ti->test_suite_name()) + "." + ti->name();
  else if (auto* ts = ut->current_test_suite())
    n = ts->name();
  for (char& c : n) {
    if (c == '/') c = '_';
  }
  return n;
}
}  // namespace

std::string BinDir() { return GOIM_BIN_DIR; }
std::string LogDir() {
  std::string d = std::string(GOIM_BUILD_DIR) + "/e2e-logs";
  mkdir(d.c_str(), 0755);
  return d;
}
std::string KafkaBroker() {
  std::ifstream in(std::string(GOIM_BUILD_DIR) + "/e2e-kafka/broker");
  std::string b;
  std::getline(in, b);
  return b;
}
namespace {
std::string KafkaDir() { return std::string(GOIM_BUILD_DIR) + "/e2e-kafka"; }
// scripts/kafka.sh with the fixture's state folder; its output goes to the e2e logs.
bool KafkaScript(const std::string& cmd) {
  std::string log = LogDir() + "/" + CurrentTest() + "-kafka.log";
  std::string sh = "GOIM_KAFKA_DIR='" + KafkaDir() + "' '" + GOIM_SOURCE_DIR +
                   "/scripts/kafka.sh' " + cmd + " >>'" + log + "' 2>&1";
  if (std::system(sh.c_str()) == 0) return true;
  ADD_FAILURE() << "scripts/kafka.sh " << cmd << " failed; see " << log;
  return false;
}
}  // namespace

bool KafkaBrokerKill() {
  std::ifstream in(KafkaDir() + "/kafka.pid");
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0 || ::kill(pid, SIGKILL) != 0) {
    ADD_FAILURE() << "no running broker in " << KafkaDir();
    return false;
  }
  // Not our child: init reaps it.
  return Eventually([pid] { return ::kill(pid, 0) != 0; }, 10s);
}
bool KafkaBrokerStop() { return KafkaScript("stop"); }
bool KafkaBrokerStart() {
  std::string before = KafkaBroker();
  if (!KafkaScript("start")) return false;
  if (KafkaBroker() == before) return true;
  ADD_FAILURE() << "the broker came back on " << KafkaBroker() << ", not " << before;
  return false;
}

std::string ReadTopic(const std::string& topic) {
  std::string cmd =
      "kcat -C -b " + KafkaBroker() + " -t " + topic + " -o beginning -e -q -f '%s\\n'";
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  if (::pclose(f) != 0) ADD_FAILURE() << cmd << " failed";
  return out;
}

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

namespace {
bool Bindable(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

int FreePort() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  const std::string dir =
      "/tmp/goim-test-ports-" + std::to_string(::getuid());  // one per user: no permission clashes
  ::mkdir(dir.c_str(), 0777);
  for (int attempt = 0; attempt < 4000; ++attempt) {
    int port = kTestPortFirst + static_cast<int>(rng() % (kTestPortLast - kTestPortFirst + 1));
    int fd = ::open((dir + "/" + std::to_string(port)).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    // The lock (and so the port) is this process's until it exits: the fd is never closed.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && Bindable(port)) return port;
    ::close(fd);
  }
  throw std::runtime_error("no free test port in " + std::to_string(kTestPortFirst) + "-" +
                           std::to_string(kTestPortLast));
}

bool WaitPort(int port, std::chrono::milliseconds timeout) {
  return Eventually(
      [port] {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(static_cast<uint16_t>(port));
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
        ::close(fd);
        return ok;
      },
      timeout);
}

bool Eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

Process::Process(std::string name, std::string binary, std::string yaml,
                 std::vector<std::string> extra_args)
    : name_(std::move(name)),
      binary_(BinDir() + "/" + std::move(binary)),
      extra_(std::move(extra_args)) {
  std::string test = CurrentTest();
  conf_ = LogDir() + "/" + test + "-" + name_ + ".yaml";
  log_ = LogDir() + "/" + test + "-" + name_ + ".log";
  std::ofstream(conf_) << yaml;
}

Process::~Process() { Stop(SIGKILL); }

void Process::Start() {
  std::vector<std::string> args;
  if (!netns_.empty()) args = {"/usr/sbin/ip", "netns", "exec", netns_};
  for (const std::string& a : {binary_, std::string("-conf"), conf_}) args.push_back(a);
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // fork + exec rather than posix_spawn, to set the parent-death signal: a test process that
  // dies or aborts before its destructors run must not leave servers behind (they once outlived
  // a failed run for an hour, holding ports and CPU). Only async-signal-safe calls in the child.
  const char* log = log_.c_str();
  const char* bin = argv[0];
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start " + binary_);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);                    // the parent is already gone
    int fd = ::open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);  // kept across restarts
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      if (fd > 2) ::close(fd);
    }
    ::execve(bin, argv.data(), environ);
    ::_exit(127);
  }
  pid_ = pid;
}

bool Process::running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

void Process::Stop(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  int status;
  for (int i = 0; i < 1000; ++i) {  // up to 10 s, then force
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace goim::e2e
