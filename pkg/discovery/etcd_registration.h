// discovery::EtcdRegistration: this node's key <prefix>/<appid>/<hostname> in etcd, attached to a
// lease of discovery.etcd.ttl that a thread renews every ttl/3. Metadata changes are written
// with the same lease. When renewals fail for a whole TTL the record is gone for everyone else:
// healthy() turns false (logged, counted) and the thread keeps trying; once etcd answers again
// it grants a new lease, writes the record back and turns healthy. Close revokes the lease, so a
// node that stops cleanly leaves at once. [thread-safe]
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pkg/discovery/etcd_client.h"
#include "pkg/discovery/membership.h"
#include "pkg/discovery/registration_health.h"

namespace goim::discovery {

class EtcdRegistration : public Registration {
 public:
  EtcdRegistration(std::shared_ptr<EtcdClient> etcd, std::string key, const Instance& in,
                   std::chrono::seconds ttl, Backend::HealthFn health);
  ~EtcdRegistration() override;

  // Grants the lease and writes the record; throws std::runtime_error when etcd does not answer.
  void Start();
  void Update(const Instance& in) override;
  bool healthy() const override { return health_.healthy(); }
  void Close() override;
  int64_t lease() const;

 private:
  void Run();
  // Grant + put; "" or the error. [registration thread, or Start before it runs]
  std::string Establish();

  std::shared_ptr<EtcdClient> etcd_;
  const std::string key_;
  const std::chrono::seconds ttl_;
  RegistrationHealth health_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  Instance in_;
  bool dirty_ = false;  // in_ changed since it was written
  bool stop_ = false;
  int64_t lease_ = 0;  // 0: none (lost)
  std::thread thread_;
};

}  // namespace goim::discovery
