// discovery::EtcdWatch: the live instances of one application, from the keys under
// <prefix>/<appid>/, or of several, from <prefix>/ (one stream, so their changes arrive in the
// store's order; keys of other applications are passed over). Start reads them all (Range) and
// then a thread follows a Watch stream from the next revision. When the stream is lost (etcd down,
// restarted, or the watch compacted) the last known list stays in force, which is logged and shown
// in goim_discovery_watch_connected; the thread reconnects with backoff, reads the whole list again
// (resync) and watches on. A value that is not a goim record for its key (not JSON, another appid
// or hostname, bad metadata) is skipped, counted in goim_discovery_bad_values_total and logged.
// [thread-safe]
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pkg/discovery/etcd_client.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"

namespace goim::discovery {

class EtcdWatch : public Watch {
 public:
  // root: "<prefix>/"; fn gets each changed application's whole list, in the order of appids.
  EtcdWatch(std::shared_ptr<EtcdClient> etcd, std::string root, std::vector<std::string> appids,
            Backend::AppsFn fn);
  ~EtcdWatch() override;

  // Reads the current list and hands it to fn; throws std::runtime_error when etcd does not
  // answer. Then follows changes on a thread.
  void Start();
  void Close();
  std::vector<Instance> Current() const override;
  bool connected() const override { return connected_.load(); }

 private:
  void Run();
  // Follows one watch stream until it ends; returns why it ended.
  std::string Follow();
  // Replaces the list with a fresh read; "" or the error.
  std::string Resync();
  // Applies one stored pair (value "" with deleted = true: gone); returns the application whose
  // list changed, or "".
  std::string Apply(const std::string& key, const std::string& value, bool deleted);
  // Hands the lists of the applications in `changed` to fn, in the order of apps_.
  void Publish(const std::set<std::string>& changed);
  std::vector<Instance> List(const std::string& appid) const;
  void SetConnected(bool c);

  struct AppMetrics {
    metrics::Counter* bad;
    metrics::Counter* lost;
    metrics::Gauge* connected;
    metrics::Gauge* size;
  };

  std::shared_ptr<EtcdClient> etcd_;
  const std::string root_;  // "<prefix>/"
  const std::vector<std::string> apps_;
  const std::string
      dir_;  // what is read and watched: <root><appid>/ for one application, else root
  Backend::AppsFn fn_;
  std::map<std::string, AppMetrics> metrics_;  // by appid

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Instance> by_key_;  // keys <root><appid>/<hostname>, sorted
  int64_t revision_ = 0;                    // the store revision the list reflects [watch thread]
  bool stop_ = false;
  grpc::ClientContext* stream_ctx_ = nullptr;  // the open stream, for Close to cancel
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace goim::discovery
