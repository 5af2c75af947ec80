// logic::Config: configs/logic.yaml. Keys follow goim's logic-example.toml where goim has them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pkg/conf/conf.h"
#include "pkg/conf/env.h"
#include "pkg/discovery/discovery.h"
#include "pkg/history/config.h"
#include "pkg/queue/kafka.h"

namespace goim::logic {

struct Config {
  conf::Env env;
  discovery::Config discovery;  // etcd: comets and routers from membership; else the lists
  struct Node {  // what /goim/nodes/weighted hands to clients, and the server-side heartbeat
    std::string defaultDomain = "conn.goim.io";
    std::string hostDomain = ".goim.io";
    conf::Duration heartbeat = std::chrono::minutes(4);
    int32_t heartbeatMax = 2;
    int32_t tcpPort = 3101;
    int32_t wsPort = 3102;
    int32_t wssPort = 3103;
    double regionWeight = 1.6;
    void Bind(conf::Binder& b) {
      b.Field("defaultDomain", defaultDomain);
      b.Field("hostDomain", hostDomain);
      b.Field("heartbeat", heartbeat);
      b.Field("heartbeatMax", heartbeatMax);
      b.Field("tcpPort", tcpPort);
      b.Field("wsPort", wsPort);
      b.Field("wssPort", wssPort);
      b.Field("regionWeight", regionWeight);
    }
  } node;
  struct Backoff {
    int32_t maxDelay = 300;
    int32_t baseDelay = 3;
    double factor = 1.8;
    double jitter = 0.3;
    void Bind(conf::Binder& b) {
      b.Field("maxDelay", maxDelay);
      b.Field("baseDelay", baseDelay);
      b.Field("factor", factor);
      b.Field("jitter", jitter);
    }
  } backoff;
  conf::AddrSection rpcServer{":3119"};
  struct HttpServer {
    std::string addr = ":3111";
    int32_t threads = 1;
    int32_t maxBodySize = 65536;
    int32_t maxConns = 10000;  // open connections at most; more get 503 (0: no limit)
    std::string apiKey;        // when set, /goim/push/* needs it (X-Goim-Key header or api_key=)
    std::string staticDir;     // when set, GET / and /static/* serve files from here (danmaku page)
    void Bind(conf::Binder& b) {
      b.Field("addr", addr);
      b.Field("threads", threads);
      b.Field("maxBodySize", maxBodySize);
      b.Field("maxConns", maxConns);
      b.Field("apiKey", apiKey);
      b.Field("staticDir", staticDir);
    }
  } httpServer;
  // An HTTP call to the operator's backend (README "The send path"): url "" = no hook.
  struct Hook {
    std::string url;
    conf::Duration timeout;
    std::string onFailure;  // what a timeout or a bad answer means (see Validate)
    int32_t maxConns = 32;  // connections to the backend; 100x as many requests may wait
    void Bind(conf::Binder& b) {
      b.Field("url", url);
      b.Field("timeout", timeout);
      b.Field("onFailure", onFailure);
      b.Field("maxConns", maxConns);
    }
  };
  struct Auth {
    std::string secret;  // when set, tokens must be signed (see README "Signed tokens")
    // The connect hook: the backend says who a token is. onFailure: refuse | token (read the
    // token as goim does).
    Hook hook{"", std::chrono::seconds(1), "refuse"};
    void Bind(conf::Binder& b) {
      b.Field("secret", secret);
      b.Section("hook", hook);
    }
  } auth;
  // The viewers' send path: op 4 from a client becomes a push to its room.
  struct Send {
    bool enabled = false;  // false: goim's Receive (logged, nothing pushed); standalone: true
    int32_t operation = 1000;
    int32_t maxBodyBytes = 200;  // of UTF-8, after invalid bytes became U+FFFD
    struct Rate {                // token bucket; burst 0 = no limit
      int32_t burst = 0;
      double perSecond = 0;
      void Bind(conf::Binder& b) {
        b.Field("burst", burst);
        b.Field("perSecond", perSecond);
      }
    };
    Rate rate{5, 1};              // per mid (per key when mid is 0)
    Rate roomRate{0, 0};          // per room
    int32_t maxTracked = 100000;  // buckets kept per limit; the least recently used go first
    // The send hook: the backend allows, denies or rewrites each danmaku. onFailure: deny | allow.
    Hook hook{"", std::chrono::milliseconds(500), "deny"};
    void Bind(conf::Binder& b) {
      b.Field("enabled", enabled);
      b.Field("operation", operation);
      b.Field("maxBodyBytes", maxBodyBytes);
      b.Section("rate", rate);
      b.Section("roomRate", roomRate);
      b.Field("maxTracked", maxTracked);
      b.Section("hook", hook);
    }
  } send;
  struct Router {
    std::map<std::string, std::string> nodes{{"router-1", "127.0.0.1:3129"}};  // name -> address
    conf::Duration timeout = std::chrono::seconds(1);
    conf::Duration syncWait = std::chrono::seconds(5);  // a lookup waits this for a rebuilding node
    void Bind(conf::Binder& b) {
      b.Field("nodes", nodes);
      b.Field("timeout", timeout);
      b.Field("syncWait", syncWait);
    }
  } router;
  struct Kafka {
    std::vector<std::string> brokers{"127.0.0.1:9092"};
    std::string topic = "goim-push-topic";
    std::map<std::string, std::string> properties;
    void Bind(conf::Binder& b) {
      b.Field("brokers", brokers);
      b.Field("topic", topic);
      b.Field("properties", properties);
    }
  } kafka;
  struct Online {
    conf::Duration tick = std::chrono::seconds(10);  // goim _onlineTick
    void Bind(conf::Binder& b) { b.Field("tick", tick); }
  } online;
  // Room history (README "History"): logic reads it for clients joining a room (History, called
  // by the comets) and for backends (GET /goim/history/room). Off here (the cluster needs a
  // Redis); goim-standalone has it on with the in-process store.
  history::Config history{.enabled = false};
  std::vector<discovery::Instance> comets;  // static discovery
  // Not a YAML key: the store is shared with job in this process (goim-standalone), so
  // history.store memory is allowed.
  bool historyInProcess = false;

  void Bind(conf::Binder& b) {
    b.Section("env", env);
    b.Section("discovery", discovery);
    b.Section("node", node);
    b.Section("backoff", backoff);
    b.Section("rpcServer", rpcServer);
    b.Section("httpServer", httpServer);
    b.Section("auth", auth);
    b.Section("send", send);
    b.Section("router", router);
    b.Section("kafka", kafka);
    b.Section("online", online);
    b.Section("history", history);
    b.List("comets", comets);
  }
  std::string Validate() const;
  queue::KafkaOptions KafkaOptions() const;
};

}  // namespace goim::logic
