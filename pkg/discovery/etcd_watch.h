// discovery::EtcdWatch: the live instances of one application, from the keys under
// <prefix>/<appid>/. Start reads them all (Range) and then a thread follows a Watch stream from
// the next revision. When the stream is lost (etcd down, restarted, or the watch compacted) the
// last known list stays in force, which is logged and shown in goim_discovery_watch_connected;
// the thread reconnects with backoff, reads the whole list again (resync) and watches on. A value
// that is not a goim record for its key (not JSON, another appid or hostname, bad metadata) is
// skipped, counted in goim_discovery_bad_values_total and logged. [thread-safe]
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pkg/discovery/etcd_client.h"
#include "pkg/discovery/membership.h"
#include "pkg/metrics/metrics.h"

namespace goim::discovery {

class EtcdWatch : public Watch {
 public:
  // dir: "<prefix>/<appid>/".
  EtcdWatch(std::shared_ptr<EtcdClient> etcd, std::string dir, std::string appid, Fn fn);
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
  // Applies one stored pair (value "" with deleted = true: gone); true when the list changed.
  bool Apply(const std::string& key, const std::string& value, bool deleted);
  void Publish();
  void SetConnected(bool c);

  std::shared_ptr<EtcdClient> etcd_;
  const std::string dir_;
  const std::string appid_;
  Fn fn_;
  metrics::Counter* bad_;
  metrics::Counter* lost_;
  metrics::Gauge* connected_gauge_;
  metrics::Gauge* size_gauge_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Instance> by_key_;
  int64_t revision_ = 0;  // the store revision the list reflects [watch thread]
  bool stop_ = false;
  grpc::ClientContext* stream_ctx_ = nullptr;  // the open stream, for Close to cancel
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace goim::discovery
