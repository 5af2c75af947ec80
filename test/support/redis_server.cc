#include "test/support/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "test/e2e/harness.h"

extern char** environ;

namespace goim::testing {

namespace {
std::string Render(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) out += (i ? " " : "") + Render(r->element[i]);
      return out;
    }
    default:
      return std::string(r->str, r->len);
  }
}
}  // namespace

std::string RedisServer::Binary() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

RedisServer::RedisServer() {
  char tmpl[] = "/tmp/goim-redis-XXXXXX";
  if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
  port_ = e2e::FreePort();
}

RedisServer::~RedisServer() {
  Stop(SIGKILL);
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

bool RedisServer::Start(std::string* why) {
  const std::string bin = Binary();
  if (bin.empty()) {
    *why = "redis-server is not installed (scripts/setup.sh installs it)";
    return false;
  }
  if (dir_.empty()) {
    *why = "no temporary directory";
    return false;
  }
  const std::string port = std::to_string(port_);
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> args{bin,     "--port",      port,           "--bind",    "127.0.0.1",
                                "--dir", dir_,          "--appendonly", "yes",       "--save",
                                "",      "--daemonize", "no",           "--logfile", log};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    *why = "fork failed";
    return false;
  }
  if (pid == 0) {  // async-signal-safe calls only
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  pid_ = pid;
  bool up =
      e2e::Eventually([this] { return Command({"PING"}) == "PONG"; }, std::chrono::seconds(20));
  if (!up) *why = "redis-server did not answer PING on port " + port + " (log: " + log + ")";
  return up;
}

void RedisServer::Stop(int sig) {
  if (pid_ <= 0) return;
  Resume();
  ::kill(pid_, sig);
  int status;
  for (int i = 0; i < 1000; ++i) {  // up to 10 s, then force
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

void RedisServer::Pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::Resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::string RedisServer::Command(const std::vector<std::string>& argv) const {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    return "(no connection)";
  }
  redisSetTimeout(c, tv);
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  std::string out = Render(r);
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace goim::testing
