// A redis-server for tests and benchmarks: its own directory (removed at the end), a free port on
// 127.0.0.1 (e2e::FreePort's lock files, so parallel test processes never share one), the
// append-only file on, started with fork+exec and a parent-death signal, stopped by PID. A restart
// keeps the port and the directory, so the server reloads what it wrote.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace goim::testing {

class RedisServer {
 public:
  // The redis-server binary, or "" when it is not installed (callers skip, saying so).
  static std::string Binary();

  RedisServer();
  ~RedisServer();  // SIGKILL, then the directory goes
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts and waits until the server answers PING (after loading its AOF); false with *why.
  bool Start(std::string* why);
  // SIGTERM: Redis flushes the AOF and exits. Waits for the exit.
  void Stop(int sig = 15);
  // SIGSTOP / SIGCONT: a server that accepts but never answers.
  void Pause();
  void Resume();

  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& dir() const { return dir_; }

  // One command on a fresh connection; the reply as text: a string or status as is, an integer
  // in decimal, an error as "ERR ...", nil as "(nil)", an array as its elements joined by ' '.
  std::string Command(const std::vector<std::string>& argv) const;

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace goim::testing
