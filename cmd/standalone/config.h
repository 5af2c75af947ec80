// The standalone configuration: one env for the process, the embedded queue, and the four
// services' sections (each as in its own YAML file). What connects them (logic's router node,
// comet's logic address, the comet list of logic and job) is derived from the service addresses
// unless set explicitly.
#pragma once

#include "comet/config.h"
#include "job/config.h"
#include "logic/config.h"
#include "pkg/history/config.h"
#include "router/config.h"

namespace goim::standalone {

struct Config {
  conf::Env env;
  struct Queue {
    int32_t partitions = 4;
    int32_t capacity = 100000;  // messages produced and not yet committed by job
    void Bind(conf::Binder& b) {
      b.Field("partitions", partitions);
      b.Field("capacity", capacity);
    }
  } queue;
  // Room history (README "History"): one in-process store that job appends to and logic reads;
  // copied into logic's and job's `history` (their own sections are not read here).
  history::Config history;
  router::Config router;
  logic::Config logic;
  comet::Config comet;
  job::Config job;

  Config();
  void Bind(conf::Binder& b) {
    b.Section("env", env);
    b.Section("queue", queue);
    b.Section("history", history);
    b.Section("router", router);
    b.Section("logic", logic);
    b.Section("comet", comet);
    b.Section("job", job);
  }
  // Wires the services to each other, then validates each.
  std::string Validate();
};

}  // namespace goim::standalone
