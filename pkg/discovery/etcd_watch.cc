#include "pkg/discovery/etcd_watch.h"

#include <stdexcept>

#include <glog/logging.h>

#include "pkg/discovery/instance_json.h"
#include "pkg/log/log.h"
#include "pkg/net/grpc_status.h"

namespace goim::discovery {

namespace {
std::string Joined(const std::vector<std::string>& apps) {
  std::string out;
  for (const auto& a : apps) out += (out.empty() ? "" : ",") + a;
  return out;
}
}  // namespace

EtcdWatch::EtcdWatch(std::shared_ptr<EtcdClient> etcd, std::string root,
                     std::vector<std::string> appids, Backend::AppsFn fn)
    : etcd_(std::move(etcd)),
      root_(std::move(root)),
      apps_(std::move(appids)),
      dir_(apps_.size() == 1 ? root_ + apps_[0] + "/" : root_),
      fn_(std::move(fn)) {
  auto& r = metrics::Registry::Default();
  for (const auto& app : apps_) {
    std::string label = "{app=\"" + app + "\"}";
    metrics_[app] = {
        r.NewCounter("goim_discovery_bad_values_total" + label,
                     "Values under the discovery prefix that are not a goim record (skipped)"),
        r.NewCounter("goim_discovery_watch_lost_total" + label,
                     "Times the etcd watch was lost (the last known membership stayed in force)"),
        r.NewGauge("goim_discovery_watch_connected" + label,
                   "1 while the membership follows etcd, 0 while etcd is lost and the last list "
                   "stays"),
        r.NewGauge("goim_discovery_instances" + label, "Instances in the membership")};
  }
}

EtcdWatch::~EtcdWatch() { Close(); }

void EtcdWatch::Start() {
  if (std::string err = Resync(); !err.empty())
    throw std::runtime_error("discovery: cannot read " + dir_ + " from etcd at " +
                             etcd_->endpoints() + ": " + err);
  SetConnected(true);
  thread_ = std::thread([this] { Run(); });
}

void EtcdWatch::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    if (stream_ctx_) stream_ctx_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<Instance> EtcdWatch::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Instance> out;
  for (const auto& [key, in] : by_key_) out.push_back(in);
  return out;  // keys are <root><appid>/<hostname>: sorted by appid, then hostname
}

std::vector<Instance> EtcdWatch::List(const std::string& appid) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Instance> out;
  for (auto it = by_key_.lower_bound(root_ + appid + "/");
       it != by_key_.end() && it->second.appid == appid; ++it)
    out.push_back(it->second);
  return out;
}

// The gauges first, the flag last: whoever waits on connected() finds the gauges (and, from Run,
// the counters and the log line) already written.
void EtcdWatch::SetConnected(bool c) {
  for (auto& [app, m] : metrics_) m.connected->Set(c ? 1 : 0);
  connected_ = c;
}

void EtcdWatch::Publish(const std::set<std::string>& changed) {
  for (const auto& app : apps_) {
    if (!changed.count(app)) continue;
    std::vector<Instance> list = List(app);
    metrics_.at(app).size->Set(static_cast<int64_t>(list.size()));
    if (fn_) fn_(app, list);
  }
}

std::string EtcdWatch::Apply(const std::string& key, const std::string& value, bool deleted) {
  // <root><appid>/<hostname>
  std::string rest = key.substr(std::min(key.size(), root_.size()));
  size_t slash = rest.find('/');
  std::string app = rest.substr(0, slash);
  auto m = metrics_.find(app);
  if (slash == std::string::npos || m == metrics_.end()) return "";  // another application's
  std::string host = rest.substr(slash + 1);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(key);
  if (deleted) {
    if (it == by_key_.end()) return "";
    by_key_.erase(it);
    return app;
  }
  Instance in;
  std::string err;
  if (host.empty() || host.find('/') != std::string::npos) {
    err = "not <prefix>/<appid>/<hostname>";
  } else if (DecodeInstance(value, app, host, &in, &err)) {
    by_key_[key] = std::move(in);
    return app;
  }
  m->second.bad->Inc();
  LOG_EVERY_T(WARNING, 1) << "discovery: skipped a value that is not a " << app
                          << " record key=" << log::Printable(key)
                          << " value=" << log::Printable(value, 96) << " error(" << err << ")";
  if (it == by_key_.end()) return "";
  by_key_.erase(it);  // the key no longer describes a usable instance
  return app;
}

std::string EtcdWatch::Resync() {
  etcdserverpb::RangeResponse resp;
  grpc::Status st = etcd_->RangePrefix(dir_, &resp);
  if (!st.ok()) return net::StatusText(st);
  {
    std::lock_guard<std::mutex> lock(mu_);
    by_key_.clear();
    revision_ = resp.header().revision();
  }
  for (const auto& kv : resp.kvs()) Apply(kv.key(), kv.value(), false);
  Publish(std::set<std::string>(apps_.begin(), apps_.end()));
  return "";
}

std::string EtcdWatch::Follow() {
  grpc::ClientContext ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return "stopping";
    stream_ctx_ = &ctx;
  }
  auto stream = etcd_->watch().Watch(&ctx);
  etcdserverpb::WatchRequest req;
  auto* create = req.mutable_create_request();
  create->set_key(dir_);
  create->set_range_end(PrefixEnd(dir_));
  create->set_start_revision(revision_ + 1);
  std::string why;
  if (stream->Write(req)) {
    etcdserverpb::WatchResponse resp;
    while (stream->Read(&resp)) {
      if (resp.created()) {
        if (!connected_) {
          LOG(WARNING) << "discovery: etcd watch back app=" << Joined(apps_)
                       << " instances=" << Current().size();
          SetConnected(true);
        }
      }
      if (resp.compact_revision() > 0) {
        why = "history compacted at revision " + std::to_string(resp.compact_revision());
        break;
      }
      if (resp.canceled()) {
        why = "watch cancelled: " + resp.cancel_reason();
        break;
      }
      // One event at a time, never a response's net effect: a watch catching up (created behind
      // the store's revision, etcd sends the backlog in one response) must still show a router
      // that joined and left meanwhile, since logic may have placed keys on it.
      for (const auto& ev : resp.events()) {
        std::string app = Apply(ev.kv().key(), ev.kv().value(), ev.type() == mvccpb::Event::DELETE);
        revision_ = std::max(revision_, ev.kv().mod_revision());
        if (!app.empty()) Publish({app});
      }
    }
  }
  ctx.TryCancel();
  grpc::Status st = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stream_ctx_ = nullptr;
  }
  if (why.empty()) why = st.ok() ? "stream closed by etcd" : net::StatusText(st);
  return why;
}

void EtcdWatch::Run() {
  auto backoff = std::chrono::milliseconds(200);
  bool need_resync = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    std::string why = need_resync ? Resync() : "";
    if (why.empty()) {
      if (need_resync) {
        LOG(WARNING) << "discovery: etcd membership read again app=" << Joined(apps_)
                     << " instances=" << Current().size();
        need_resync = false;
      }
      why = Follow();
      // Every way out of a stream reads the whole list again: events may have been missed.
      need_resync = true;
      backoff = std::chrono::milliseconds(200);
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    if (connected_) {
      lock.unlock();
      for (auto& [app, m] : metrics_) m.lost->Inc();
      LOG(ERROR) << "discovery: etcd watch lost app=" << Joined(apps_) << " error(" << why
                 << "); keeping the last known membership instances=" << Current().size();
      SetConnected(false);
      lock.lock();
    } else {
      LOG_EVERY_T(WARNING, 10) << "discovery: etcd still unreachable app=" << Joined(apps_)
                               << " error(" << why << ")";
    }
    cv_.wait_for(lock, backoff, [this] { return stop_; });
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(3));
  }
}

}  // namespace goim::discovery
