#include "pkg/discovery/bilibili_registration.h"

#include <stdexcept>

#include <glog/logging.h>

#include "pkg/discovery/instance_json.h"
#include "pkg/metrics/metrics.h"

namespace goim::discovery {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* errors =
      r.NewCounter("goim_discovery_bilibili_errors_total",
                   "bilibili discovery calls that got no answer or an error code");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

constexpr int64_t kNotFound = -404;

std::chrono::milliseconds Ms(conf::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

}  // namespace

BilibiliRegistration::BilibiliRegistration(const Config::Bilibili& cfg, const Instance& in,
                                           Backend::HealthFn health)
    : cfg_(cfg),
      client_(cfg.nodes),
      health_("name=" + in.appid + "/" + in.hostname, std::move(health)),
      name_(in.appid + "/" + in.hostname),
      in_(in) {
  Counters::Get();
}

BilibiliRegistration::~BilibiliRegistration() { Close(); }

Params BilibiliRegistration::Identity() {
  std::lock_guard<std::mutex> lock(mu_);
  return {{"region", in_.region},
          {"zone", in_.zone},
          {"env", in_.env},
          {"hostname", in_.hostname},
          {"appid", in_.appid}};
}

std::string BilibiliRegistration::Register() {
  Params p = Identity();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The server refuses a register without an address (-400); a node that serves none (job)
    // names itself.
    p.emplace_back("addrs",
                   in_.grpc.empty() ? in_.appid + "://" + in_.hostname : "grpc://" + in_.grpc);
    p.emplace_back("version", "");
    p.emplace_back("status", "1");  // up: offline is goim's metadata flag, not the status
    p.emplace_back("metadata", EncodeMetadata(in_));
    dirty_ = false;
  }
  BilibiliReply r = client_.Post("/discovery/register", p, Ms(cfg_.timeout));
  std::string err;
  if (!r.answered)
    err = r.node + ": " + r.error;
  else if (r.code != 0)
    err = r.node + " answered code " + std::to_string(r.code);
  if (!err.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  return err;
}

void BilibiliRegistration::Start() {
  std::string err;
  for (size_t i = 0; i < client_.node_count(); ++i) {
    err = Register();
    if (err.empty()) break;
    Counters::Get().errors->Inc();
  }
  if (!err.empty())
    throw std::runtime_error("discovery: cannot register " + name_ + " in bilibili discovery at " +
                             client_.nodes() + ": " + err);
  health_.Started();
  LOG(INFO) << "discovery: registered in bilibili discovery name=" << name_
            << " renew=" << Ms(cfg_.renewInterval).count() << "ms";
  thread_ = std::thread([this] { Run(); });
}

void BilibiliRegistration::Update(const Instance& in) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_ = in;
    dirty_ = true;
  }
  cv_.notify_all();
}

void BilibiliRegistration::Run() {
  const auto renew_every = Ms(cfg_.renewInterval);
  const auto retry_every = std::min(renew_every, Ms(cfg_.retry));
  const auto evicted_after = Ms(cfg_.evictAfter);
  auto last_ok = std::chrono::steady_clock::now();
  bool failing = false, gone = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, failing || gone ? retry_every : renew_every,
                 [this] { return stop_ || dirty_; });
    if (stop_) break;
    bool write = dirty_ || gone;
    lock.unlock();
    std::string err;
    if (write) {
      err = Register();
      if (err.empty()) {
        gone = false;
        health_.Set(true, "registered");
      }
    } else {
      BilibiliReply r = client_.Post("/discovery/renew", Identity(), Ms(cfg_.timeout));
      if (r.answered && r.code == kNotFound) {
        // Evicted, or the server restarted (or lost it) meanwhile: register again at once. Only
        // an eviction is a lapse: after a restart the other nodes keep listing this one for their
        // rejoinGrace, and a lapse would make a router rebuild its table for nothing.
        if (std::chrono::steady_clock::now() - last_ok >= evicted_after) {
          health_.Set(false, r.node + " evicted the instance (renew: -404)");
        } else {
          LOG(WARNING) << "discovery: " << r.node << " no longer had this node (restarted?), "
                       << "registering again name=" << name_;
        }
        gone = true;
        err = Register();
        if (err.empty()) {
          gone = false;
          health_.Set(true, "registered again");
        }
      } else if (!r.answered) {
        err = "renew: " + r.node + ": " + r.error;
      } else if (r.code != 0) {
        err = "renew: " + r.node + " answered code " + std::to_string(r.code);
      }
    }
    auto now = std::chrono::steady_clock::now();
    failing = !err.empty();
    if (!failing) {
      last_ok = now;
    } else {
      Counters::Get().errors->Inc();
      LOG_EVERY_T(WARNING, 5) << "discovery: bilibili discovery call failed name=" << name_
                              << " error(" << err << ")";
      if (now - last_ok >= evicted_after) health_.Set(false, err);
    }
    lock.lock();
  }
}

void BilibiliRegistration::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;  // never started
  thread_.join();
  BilibiliReply r = client_.Post("/discovery/cancel", Identity(), Ms(cfg_.timeout));
  if (r.answered && r.code == 0)
    LOG(INFO) << "discovery: left bilibili discovery name=" << name_;
  else
    LOG(WARNING) << "discovery: could not cancel (the server evicts it in 90 s) name=" << name_
                 << " error(" << (r.answered ? "code " + std::to_string(r.code) : r.error) << ")";
  health_.Closed();
}

}  // namespace goim::discovery
