#include "pkg/discovery/etcd_registration.h"

#include <stdexcept>

#include <glog/logging.h>

#include "pkg/discovery/instance_json.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/grpc_status.h"

namespace goim::discovery {

namespace {

struct Counters {
  metrics::Registry& r = metrics::Registry::Default();
  metrics::Counter* errors = r.NewCounter("goim_discovery_etcd_errors_total",
                                          "etcd calls that failed (lease renewals, writes, reads)");
  static Counters& Get() {
    static Counters c;
    return c;
  }
};

int64_t UnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EtcdRegistration::EtcdRegistration(std::shared_ptr<EtcdClient> etcd, std::string key,
                                   const Instance& in, std::chrono::seconds ttl,
                                   Backend::HealthFn health)
    : etcd_(std::move(etcd)),
      key_(std::move(key)),
      ttl_(ttl),
      health_("key=" + key_, std::move(health)),
      in_(in) {
  Counters::Get();
}

EtcdRegistration::~EtcdRegistration() { Close(); }

int64_t EtcdRegistration::lease() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lease_;
}

std::string EtcdRegistration::Establish() {
  Instance in;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in = in_;
    dirty_ = false;
  }
  in.updated_ns = UnixNanos();
  int64_t id = 0, granted = 0;
  grpc::Status st = etcd_->Grant(ttl_.count(), &id, &granted);
  if (!st.ok()) return "lease grant: " + net::StatusText(st);
  st = etcd_->Put(key_, EncodeInstance(in), id);
  if (!st.ok()) {
    etcd_->Revoke(id);
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
    return "put: " + net::StatusText(st);
  }
  std::lock_guard<std::mutex> lock(mu_);
  lease_ = id;
  return "";
}

void EtcdRegistration::Start() {
  if (std::string err = Establish(); !err.empty()) {
    Counters::Get().errors->Inc();
    throw std::runtime_error("discovery: cannot register " + key_ + " in etcd at " +
                             etcd_->endpoints() + ": " + err);
  }
  health_.Started();
  LOG(INFO) << "discovery: registered key=" << key_ << " lease=" << std::hex << lease() << std::dec
            << " ttl=" << ttl_.count() << "s";
  thread_ = std::thread([this] { Run(); });
}

void EtcdRegistration::Update(const Instance& in) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_ = in;
    dirty_ = true;
  }
  cv_.notify_all();
}

void EtcdRegistration::Run() {
  const auto renew_every =
      std::max<std::chrono::milliseconds>(ttl_ / 3, std::chrono::milliseconds(500));
  const auto retry_every =
      std::min<std::chrono::milliseconds>(renew_every, std::chrono::seconds(1));
  auto last_ok = std::chrono::steady_clock::now();
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, failing || lease_ == 0 ? retry_every : renew_every,
                 [this] { return stop_ || dirty_; });
    if (stop_) break;
    int64_t lease = lease_;
    lock.unlock();
    std::string err;
    if (lease == 0) {
      err = Establish();
      if (err.empty()) health_.Set(true, "registered with a new lease");
    } else {
      int64_t ttl = 0;
      grpc::Status st = etcd_->KeepAlive(lease, &ttl);
      if (st.ok() && ttl <= 0) {
        // Gone while we could not reach etcd (or revoked by someone): start over at once.
        lock.lock();
        lease_ = 0;
        dirty_ = true;
        lock.unlock();
        health_.Set(false, "lease expired");
        failing = true;
        lock.lock();
        continue;
      }
      if (!st.ok()) {
        err = "keep-alive: " + net::StatusText(st);
      } else {
        Instance in;
        bool write;
        {
          std::lock_guard<std::mutex> g(mu_);
          write = dirty_;
          dirty_ = false;
          in = in_;
        }
        if (write) {
          in.updated_ns = UnixNanos();
          st = etcd_->Put(key_, EncodeInstance(in), lease);
          if (!st.ok()) {
            err = "put: " + net::StatusText(st);
            std::lock_guard<std::mutex> g(mu_);
            dirty_ = true;
          }
        }
        if (err.empty()) health_.Set(true, "lease renewed");
      }
    }
    auto now = std::chrono::steady_clock::now();
    failing = !err.empty();
    if (!failing) {
      last_ok = now;
    } else {
      Counters::Get().errors->Inc();
      LOG_EVERY_T(WARNING, 5) << "discovery: etcd call failed key=" << key_ << " error(" << err
                              << ")";
      if (now - last_ok >= ttl_) health_.Set(false, err);
    }
    lock.lock();
  }
}

void EtcdRegistration::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  int64_t lease = this->lease();
  if (lease != 0) {
    grpc::Status st = etcd_->Revoke(lease);
    if (st.ok())
      LOG(INFO) << "discovery: left key=" << key_;
    else
      LOG(WARNING) << "discovery: could not revoke the lease (it expires by itself) key=" << key_
                   << " error(" << net::StatusText(st) << ")";
  }
  health_.Closed();
}

}  // namespace goim::discovery
