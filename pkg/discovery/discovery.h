// discovery: who is in the cluster. An Instance is goim's discovery record of one node (comet,
// logic, router or job): its server id (hostname), region, zone, gRPC address, public addresses
// for clients, weight, offline flag, and what the live backends add (connection counts, the
// process's epoch). Config is the `discovery` section every service shares: etcd endpoints or
// bilibili discovery nodes (one of the two); neither = static membership from each service's own
// lists (standalone needs nothing).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pkg/conf/conf.h"

namespace goim::discovery {

// goim's application ids, one key space each.
inline constexpr const char* kComet = "goim.comet";
inline constexpr const char* kLogic = "goim.logic";
inline constexpr const char* kRouter = "goim.router";
inline constexpr const char* kJob = "goim.job";

struct Instance {
  std::string hostname;  // the node's server id (its env.host)
  std::string region;
  std::string zone;
  std::string grpc;                // gRPC address, e.g. 127.0.0.1:3109 ("" for a job)
  std::vector<std::string> addrs;  // public addresses handed to clients
  int32_t weight = 10;
  bool offline = false;

  // Set by a live backend (not configurable in static lists).
  std::string appid;
  std::string env;    // deploy env
  std::string epoch;  // new on every start of the process: a router's epoch names its table
  int64_t conn_count = 0;
  int64_t ip_count = 0;
  int64_t updated_ns = 0;  // when the record was last written (goim: latest_timestamp)

  void Bind(conf::Binder& b) {
    b.Field("hostname", hostname);
    b.Field("region", region);
    b.Field("zone", zone);
    b.Field("grpc", grpc);
    b.Field("addrs", addrs);
    b.Field("weight", weight);
    b.Field("offline", offline);
  }
};

struct Config {
  struct Etcd {
    // host:port (or http://host:port) of etcd's client URLs; several must be IP literals.
    std::vector<std::string> endpoints;
    std::string prefix = "/goim";                          // keys are <prefix>/<appid>/<hostname>
    conf::Duration ttl = std::chrono::seconds(10);         // lease: a silent node leaves after it
    conf::Duration dialTimeout = std::chrono::seconds(3);  // each etcd call; start-up gives up
    void Bind(conf::Binder& b) {
      b.Field("endpoints", endpoints);
      b.Field("prefix", prefix);
      b.Field("ttl", ttl);
      b.Field("dialTimeout", dialTimeout);
    }
  } etcd;

  // bilibili discovery (goim's own), for deployments mixing goim's and our nodes: its HTTP API as
  // goim's discovery SDK uses it. Region, zone and env are the node's (-region, -zone,
  // -deploy.env), as with goim.
  struct Bilibili {
    std::vector<std::string> nodes;  // host:port of the discovery servers, tried in turn
    conf::Duration renewInterval = std::chrono::seconds(30);  // goim's SDK: 30 s; evicted at 90 s
    conf::Duration pollTimeout =
        std::chrono::seconds(40);  // a poll is held up to 30 s by the server
    conf::Duration timeout =
        std::chrono::seconds(3);                     // every other call; start-up gives up after it
    conf::Duration retry = std::chrono::seconds(1);  // after a failed poll, or one of an absent app
    // The server evicts an instance not renewed for 90 s (checked once a minute): renewals failing
    // this long count this node's registration as lapsed.
    conf::Duration evictAfter = std::chrono::seconds(90);
    // After the server was lost (or restarted empty), instances missing from its answers stay
    // listed this long: the other nodes register again at their next renewal (goim's: every
    // 30 s), so it must exceed every node's renewInterval.
    conf::Duration rejoinGrace = std::chrono::seconds(45);
    void Bind(conf::Binder& b) {
      b.Field("nodes", nodes);
      b.Field("renewInterval", renewInterval);
      b.Field("evictAfter", evictAfter);
      b.Field("rejoinGrace", rejoinGrace);
      b.Field("pollTimeout", pollTimeout);
      b.Field("timeout", timeout);
      b.Field("retry", retry);
    }
  } bilibili;

  void Bind(conf::Binder& b) {
    b.Section("etcd", etcd);
    b.Section("bilibili", bilibili);
  }
  bool enabled() const { return !etcd.endpoints.empty() || !bilibili.nodes.empty(); }
  // "" when valid, else a message naming the key (under `key`, e.g. "discovery").
  std::string Validate(const std::string& key = "discovery") const;
};

// The comets job talks to, as goim's job keeps them: those of `zone` and those listed without a
// zone; every comet when `zone` is empty.
std::vector<Instance> InZone(const std::vector<Instance>& all, const std::string& zone);

// Checks hostnames are present and unique and weights positive; returns an error naming the
// entry, or "".
std::string Validate(const std::vector<Instance>& all, const std::string& key);

// A fresh random epoch (hex), for a process that starts.
std::string NewEpoch();

}  // namespace goim::discovery
