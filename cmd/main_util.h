// What every cmd/*/main.cc does: parse the command line, load and validate the config (a bad
// key or value stops start-up with a message naming it), set up logging, then wait for SIGINT or
// SIGTERM. Shared by the thin mains only.
#pragma once

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "pkg/conf/conf.h"
#include "pkg/log/log.h"
#include "pkg/net/http_server.h"

namespace goim::cmd {

// Blocks SIGINT/SIGTERM in this thread (and the threads it starts), so WaitForSignal can take them.
inline void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

inline int WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

// Loads Config from the command line; exits with status 2 and a message on any error. Returns
// false when the process should exit 0 (-h, -dump-config).
template <class Config>
bool LoadConfig(int argc, char** argv, const char* default_conf, Config* cfg) {
  try {
    conf::Options opts = conf::ParseCommandLine(argc, argv, default_conf);
    if (opts.help) {
      std::cout << conf::Usage(argv[0], default_conf);
      return false;
    }
    conf::Load(opts, cfg);
    if (std::string err = cfg->Validate(); !err.empty())
      throw conf::Error(opts.conf_file + ": " + err);
    if (opts.dump) {
      std::cout << conf::Dump(*cfg) << std::endl;
      return false;
    }
  } catch (const conf::Error& e) {
    std::fprintf(stderr, "%s: config error: %s\n", argv[0], e.what());
    std::exit(2);
  }
  return true;
}

// GET /metrics on addr, on a thread of its own (nothing when addr is empty); closed when destroyed.
class MetricsEndpoint {
 public:
  MetricsEndpoint(const std::string& addr, const char* thread) : loops_(1, thread) {
    if (addr.empty()) return;
    server_ = std::make_unique<net::HttpServer>(loops_, net::MetricsHandler(),
                                                net::HttpServer::Options{});
    server_->Listen(addr);
    loops_.Start();
  }
  ~MetricsEndpoint() {
    if (server_) server_->Close();
    loops_.Stop();
  }

 private:
  net::LoopPool loops_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace goim::cmd
