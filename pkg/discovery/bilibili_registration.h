// discovery::BilibiliRegistration: this node's instance in bilibili discovery, kept as goim's SDK
// keeps it: registered (POST /discovery/register: region, zone, env, hostname, appid, addrs
// grpc://ip:port, or <appid>://<hostname> for a node that serves no gRPC (job: the server refuses
// a register without addrs), status 1, metadata as a JSON object of strings), renewed every
// discovery.bilibili.renewInterval (POST /discovery/renew), registered again when a renewal
// answers -404 (the server lost or evicted it), and cancelled on Close (POST /discovery/cancel).
// Metadata changes (connection counts) are written by registering again, which replaces the whole
// record (goim's comet uses /discovery/set instead; one endpoint fewer to depend on).
// The server evicts an instance not renewed for 90 s: when renewals fail for
// discovery.bilibili.evictAfter (90 s), healthy() turns false (logged, counted) until the instance
// is registered again. A renewal answered -404 sooner (a server that restarted, or lost it)
// registers again without a lapse: the other nodes keep this one listed meanwhile (rejoinGrace).
// [thread-safe]
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pkg/discovery/bilibili_client.h"
#include "pkg/discovery/membership.h"
#include "pkg/discovery/registration_health.h"

namespace goim::discovery {

class BilibiliRegistration : public Registration {
 public:
  BilibiliRegistration(const Config::Bilibili& cfg, const Instance& in, Backend::HealthFn health);
  ~BilibiliRegistration() override;

  // Registers at the first node that answers; throws std::runtime_error when none accepts it.
  void Start();
  void Update(const Instance& in) override;
  bool healthy() const override { return health_.healthy(); }
  void Close() override;

 private:
  void Run();
  // One register call; "" or the error. [registration thread, or Start before it runs]
  std::string Register();
  // region, zone, env, hostname, appid of in_.
  Params Identity();

  const Config::Bilibili cfg_;
  BilibiliClient client_;
  RegistrationHealth health_;
  const std::string name_;  // appid/hostname, for logs

  std::mutex mu_;
  std::condition_variable cv_;
  Instance in_;
  bool dirty_ = false;  // in_ changed since it was written
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace goim::discovery
