// router::Config: configs/router.yaml. Defaults in code; the file documents each one.
#pragma once

#include <string>

#include "pkg/conf/conf.h"
#include "pkg/conf/env.h"
#include "pkg/discovery/discovery.h"

namespace goim::router {

struct Config {
  conf::Env env;
  discovery::Config discovery;  // etcd: register goim.router, follow routers and comets
  conf::AddrSection rpcServer{":3129"};
  struct Session {
    conf::Duration expire = std::chrono::minutes(30);  // goim redis.expire
    int32_t shards = 64;
    conf::Duration cleanPeriod = std::chrono::seconds(1);
    void Bind(conf::Binder& b) {
      b.Field("expire", expire);
      b.Field("shards", shards);
      b.Field("cleanPeriod", cleanPeriod);
    }
  } session;
  struct Online {
    conf::Duration stale = std::chrono::minutes(5);  // goim _onlineDeadline
    void Bind(conf::Binder& b) { b.Field("stale", stale); }
  } online;
  struct Sync {
    // With a membership: the longest the table stays "incomplete" waiting for comets to replay.
    conf::Duration timeout = std::chrono::seconds(10);
    void Bind(conf::Binder& b) { b.Field("timeout", timeout); }
  } sync;
  conf::AddrSection metrics{":3128"};  // GET /metrics; "" disables

  void Bind(conf::Binder& b) {
    b.Section("env", env);
    b.Section("discovery", discovery);
    b.Section("rpcServer", rpcServer);
    b.Section("session", session);
    b.Section("online", online);
    b.Section("sync", sync);
    b.Section("metrics", metrics);
  }
  // "" when valid, else a message naming the key.
  std::string Validate() const;
};

}  // namespace goim::router
