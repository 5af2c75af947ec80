// job::Config: configs/job.yaml. goim's job keys (room.batch, room.signal, room.idle,
// comet.routineSize...) where they still mean something; the rest is new and documented in the
// YAML file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pkg/conf/conf.h"
#include "pkg/conf/env.h"
#include "pkg/discovery/discovery.h"
#include "pkg/history/config.h"
#include "pkg/queue/kafka.h"

namespace goim::job {

struct Config {
  conf::Env env;
  discovery::Config discovery;  // etcd: the comets from membership; else `comets` below
  struct Kafka {
    std::vector<std::string> brokers{"127.0.0.1:9092"};
    std::string topic = "goim-push-topic";
    std::string group = "goim-push-group-job";
    std::map<std::string, std::string> properties;
    void Bind(conf::Binder& b) {
      b.Field("brokers", brokers);
      b.Field("topic", topic);
      b.Field("group", group);
      b.Field("properties", properties);
    }
  } kafka;
  struct Consumer {
    int32_t maxInflight = 20000;  // messages consumed and not yet done: above it consumption pauses
    conf::Duration commitInterval = std::chrono::milliseconds(200);
    conf::Duration revokeTimeout = std::chrono::seconds(30);
    void Bind(conf::Binder& b) {
      b.Field("maxInflight", maxInflight);
      b.Field("commitInterval", commitInterval);
      b.Field("revokeTimeout", revokeTimeout);
    }
  } consumer;
  struct Room {
    int32_t batch = 20;                                      // goim room.batch
    conf::Duration signal = std::chrono::milliseconds(100);  // longest batching window (goim: 1s)
    bool adaptive = true;                                    // window from the room's online count
    int32_t writesPerSecond = 100000;               // adaptive: comet writes a room may cost
    conf::Duration idle = std::chrono::minutes(1);  // release a room's batcher after
    bool hostsOnly = false;                         // send batches only to comets hosting the room
    void Bind(conf::Binder& b) {
      b.Field("batch", batch);
      b.Field("signal", signal);
      b.Field("adaptive", adaptive);
      b.Field("writesPerSecond", writesPerSecond);
      b.Field("idle", idle);
      b.Field("hostsOnly", hostsOnly);
    }
  } room;
  struct Comet {
    int32_t lanes = 16;    // ordered lanes per comet, one call in flight each
    int32_t queue = 4096;  // calls waiting per comet; above it consumption pauses
    conf::Duration timeout = std::chrono::seconds(3);
    conf::Duration retryBackoff = std::chrono::milliseconds(100);
    conf::Duration failTimeout = std::chrono::seconds(10);
    conf::Duration roomsInterval = std::chrono::seconds(1);
    void Bind(conf::Binder& b) {
      b.Field("lanes", lanes);
      b.Field("queue", queue);
      b.Field("timeout", timeout);
      b.Field("retryBackoff", retryBackoff);
      b.Field("failTimeout", failTimeout);
      b.Field("roomsInterval", roomsInterval);
    }
  } comet;
  struct Broadcast {
    std::string noComets = "wait";  // wait | drop: a broadcast when no comet is up
    void Bind(conf::Binder& b) { b.Field("noComets", noComets); }
  } broadcast;
  // Room history (README "History"): each room batch is appended to the store before it goes
  // to the comets, and its frames carry their room offsets. Off here (the cluster needs a Redis);
  // goim-standalone has it on with the in-process store.
  history::Config history{.enabled = false};
  std::vector<discovery::Instance> comets;  // membership (static discovery)
  conf::AddrSection metrics{":3138"};
  // Not a YAML key: the store is shared with logic in this process (goim-standalone), so
  // history.store memory is allowed.
  bool historyInProcess = false;

  void Bind(conf::Binder& b) {
    b.Section("env", env);
    b.Section("discovery", discovery);
    b.Section("kafka", kafka);
    b.Section("consumer", consumer);
    b.Section("room", room);
    b.Section("comet", comet);
    b.Section("broadcast", broadcast);
    b.Section("history", history);
    b.List("comets", comets);
    b.Section("metrics", metrics);
  }
  std::string Validate() const;
  queue::KafkaOptions KafkaOptions() const;
};

}  // namespace goim::job
