// A stand-in for bilibili discovery in tests: an HTTP server on 127.0.0.1 (a free port) serving
// the endpoints goim's discovery SDK calls, with the semantics of bilibili discovery v1.2.0
// (checked against it): register (form: zone, env, appid, hostname, addrs (at least one), status
// 1|2, metadata a JSON object, else -400), renew and cancel (-404 for an unknown instance), fetch
// (every zone when none is given; -404 for an application without instances), polls (per
// application a latest_timestamp: answered at once with the applications that changed since, those
// without instances listed under error["-404"]; else held until one of them changes or `hold`
// passes, then -304; never -404, and an application losing its last instance answers no held poll)
// and nodes. Instances are kept per env and appid, by zone and hostname; each change moves the
// application's latest_timestamp forward. Every request is recorded. Stop closes the listener and
// every connection (a dead server); Start brings it back on the same port with nothing registered
// (a restarted one). [thread-safe]
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pkg/json/json.h"
#include "pkg/net/http_server.h"
#include "pkg/net/loop_pool.h"
#include "pkg/net/url.h"

namespace goim::testing {

class FakeBilibiliDiscovery {
 public:
  struct Request {
    std::string method, path;
    net::QueryParams params;  // the query, or the form body of a POST
    std::chrono::steady_clock::time_point at;
    // The first value of name, or "".
    std::string Get(const std::string& name) const;
  };

  explicit FakeBilibiliDiscovery(std::chrono::milliseconds hold = std::chrono::seconds(30));
  ~FakeBilibiliDiscovery();

  void Start();
  void Stop();
  std::string addr() const;  // 127.0.0.1:port

  // The requests to path so far.
  std::vector<Request> Requests(const std::string& path);
  // Stores a record as another node's register would (a raw object, so a test can store what no
  // goim node would write), and answers the polls waiting for its application.
  void Put(const std::string& env, const std::string& appid, const std::string& zone,
           const std::string& hostname, json::Json record);
  // The stored record, or null.
  json::Json Find(const std::string& env, const std::string& appid, const std::string& hostname);
  // Removes an instance as the server's eviction does (no request).
  void Evict(const std::string& env, const std::string& appid, const std::string& hostname);
  // Polls held now.
  size_t Held();

 private:
  struct App {
    std::map<std::string, std::map<std::string, json::Json>> zones;  // zone -> hostname -> record
    int64_t latest = 0;
  };
  struct Poll {
    std::string env;
    std::vector<std::string> apps;
    std::vector<std::string> missing;  // those without instances when it came
    net::HttpReply reply;
    std::chrono::steady_clock::time_point until;
  };

  void Handle(net::HttpRequest&& req, net::HttpReply reply);
  // [mu_ held] The answer to a request, or an empty body when it is held.
  std::string Answer(const Request& r, net::HttpReply* reply);
  // [mu_ held] appid's InstanceInfo (null when it has none).
  json::Json Info(const std::string& env, const std::string& appid) const;
  // [mu_ held] Moves app's latest_timestamp forward and answers the polls waiting for it.
  void Changed(const std::string& env, const std::string& appid);
  int64_t Now();
  void Expire();

  const std::chrono::milliseconds hold_;
  uint16_t port_ = 0;
  std::unique_ptr<net::LoopPool> loops_;
  std::unique_ptr<net::HttpServer> server_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, App> apps_;  // "<env>/<appid>"
  std::vector<Request> requests_;
  std::vector<Poll> held_;
  int64_t last_ts_ = 0;
  bool stop_ = false;
  std::thread expirer_;
};

}  // namespace goim::testing
