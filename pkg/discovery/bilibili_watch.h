// discovery::BilibiliWatch: the live instances of one or several applications in bilibili
// discovery, followed as goim's SDK follows them. Start reads each application
// (GET /discovery/fetch, every zone, status up); then a thread long-polls them all in one request
// (GET /discovery/polls: env, a poller name, appid and latest_timestamp per application). The
// server answers at once with the whole list of each application that changed since its
// timestamp, or after holding the request up to 30 s with -304 (nothing changed). Several
// applications changed in one answer are handed on in the order given; what changed between two
// polls is seen as its net effect (a node that joined and left meanwhile is not seen at all).
// An application without instances is -404 to fetch; bilibili discovery v1.2.0 never answers a
// poll for it (its last instance leaving answers no held poll, and polls list it only under
// error["-404"] when another application changed), so each -304 reads again with fetch every
// application still listed, and one that is gone is handed on empty. A poll answered -404 (other
// servers) has every list read again every discovery.bilibili.retry until each has an instance.
// A lost server (no answer, or an error code) keeps the last known lists in force, which is
// logged and shown in goim_discovery_watch_connected; the watch moves on to the next node every
// discovery.bilibili.retry and reads every list again once one answers. A server that restarted
// knows only the nodes that registered again since (each at its next renewal: goim's every 30 s):
// for discovery.bilibili.rejoinGrace after it answers again, instances missing from its answers
// stay listed (updates and newcomers are applied), then every list is read again as the server
// has it. An instance that is not a goim record for its application (another appid, no hostname,
// bad metadata) is skipped, counted in goim_discovery_bad_values_total and logged. [thread-safe]
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pkg/discovery/bilibili_client.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"

namespace goim::discovery {

class BilibiliWatch : public Watch {
 public:
  // env: the deploy env the instances were registered in; poller: this watch's name for the
  // server, which keys held polls by it (unique per watch, or two watches would displace each
  // other's polls).
  BilibiliWatch(const Config::Bilibili& cfg, std::string env, std::string poller,
                std::vector<std::string> appids, Backend::AppsFn fn);
  ~BilibiliWatch() override;

  // Reads every list and hands each to fn; throws std::runtime_error when no node answers. Then
  // follows changes on a thread.
  void Start();
  void Close();
  std::vector<Instance> Current() const override;
  bool connected() const override { return connected_.load(); }

 private:
  void Run();
  // Reads every application with fetch and publishes those that changed (all when `all`); "" or
  // the error.
  std::string Resync(bool all);
  // Reads app with fetch into *info (null when it has no instance); "" or the error.
  std::string Fetch(const std::string& app, json::Json* info);
  // One polls round: applies and publishes what changed; "" or the error; *absent on -404.
  std::string Poll(bool* absent);
  // After a -304: reads again with fetch each application still listed; "" or the error.
  std::string Recheck();
  // Replaces app's list with the instances of info (bilibili's InstanceInfo, or null: none),
  // keeping those it lacks while in the rejoin grace; returns whether it changed.
  bool Apply(const std::string& app, const json::Json& info);
  bool InGrace() const { return std::chrono::steady_clock::now() < grace_until_; }
  void Publish(const std::set<std::string>& changed);
  void SetConnected(bool c);

  struct AppMetrics {
    metrics::Counter* bad;
    metrics::Counter* lost;
    metrics::Gauge* connected;
    metrics::Gauge* size;
  };

  const Config::Bilibili cfg_;
  const std::string env_;
  const std::string poller_;
  const std::vector<std::string> apps_;
  Backend::AppsFn fn_;
  std::map<std::string, AppMetrics> metrics_;  // by appid
  BilibiliClient client_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<Instance>> lists_;  // by appid, each sorted by hostname
  std::map<std::string, int64_t> latest_;  // the server's latest_timestamp per appid [thread]
  // Until when instances missing from the server's answers stay listed (max while it is lost),
  // and whether every list is to be read again once that passed. [thread]
  std::chrono::steady_clock::time_point grace_until_{};
  bool settle_ = false;
  bool stop_ = false;
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace goim::discovery
