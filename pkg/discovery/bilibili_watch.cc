#include "pkg/discovery/bilibili_watch.h"

#include <algorithm>
#include <stdexcept>

#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include "pkg/discovery/instance_json.h"
#include "pkg/log/log.h"

namespace goim::discovery {

namespace {

constexpr int64_t kNotModified = -304;
constexpr int64_t kNotFound = -404;

std::chrono::milliseconds Ms(conf::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

std::string Joined(const std::vector<std::string>& apps) {
  std::string out;
  for (const auto& a : apps) out += (out.empty() ? "" : ",") + a;
  return out;
}

bool SameList(const std::vector<Instance>& a, const std::vector<Instance>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].updated_ns != b[i].updated_ns || EncodeInstance(a[i]) != EncodeInstance(b[i]))
      return false;
  }
  return true;
}

metrics::Counter* Errors() {
  static metrics::Counter* c = metrics::Registry::Default().NewCounter(
      "goim_discovery_bilibili_errors_total",
      "bilibili discovery calls that got no answer or an error code");
  return c;
}

}  // namespace

BilibiliWatch::BilibiliWatch(const Config::Bilibili& cfg, std::string env, std::string poller,
                             std::vector<std::string> appids, Backend::AppsFn fn)
    : cfg_(cfg),
      env_(std::move(env)),
      poller_(std::move(poller)),
      apps_(std::move(appids)),
      fn_(std::move(fn)),
      client_(cfg.nodes) {
  auto& r = metrics::Registry::Default();
  for (const auto& app : apps_) {
    std::string label = "{app=\"" + app + "\"}";
    metrics_[app] = {
        r.NewCounter(
            "goim_discovery_bad_values_total" + label,
            "Membership records that are not a goim record of their application (skipped)"),
        r.NewCounter(
            "goim_discovery_watch_lost_total" + label,
            "Times the discovery server was lost (the last known membership stayed in force)"),
        r.NewGauge("goim_discovery_watch_connected" + label,
                   "1 while the membership follows the discovery server, 0 while it is lost and "
                   "the last list stays"),
        r.NewGauge("goim_discovery_instances" + label, "Instances in the membership")};
    latest_[app] = 0;
  }
  Errors();
}

BilibiliWatch::~BilibiliWatch() { Close(); }

void BilibiliWatch::Start() {
  std::string err;
  for (size_t i = 0; i < client_.node_count(); ++i) {
    err = Resync(true);
    if (err.empty()) break;
    Errors()->Inc();
  }
  if (!err.empty())
    throw std::runtime_error("discovery: cannot read " + Joined(apps_) +
                             " from bilibili discovery at " + client_.nodes() + ": " + err);
  SetConnected(true);
  thread_ = std::thread([this] { Run(); });
}

void BilibiliWatch::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  client_.Cancel();  // a poll may be held by the server for 30 s
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<Instance> BilibiliWatch::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Instance> out;
  for (const auto& app : apps_) {
    auto it = lists_.find(app);
    if (it != lists_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

// The gauges first, the flag last: whoever waits on connected() finds the gauges (and, from Run,
// the counters and the log line) already written.
void BilibiliWatch::SetConnected(bool c) {
  for (auto& [app, m] : metrics_) m.connected->Set(c ? 1 : 0);
  connected_ = c;
}

void BilibiliWatch::Publish(const std::set<std::string>& changed) {
  for (const auto& app : apps_) {
    if (!changed.count(app)) continue;
    std::vector<Instance> list;
    {
      std::lock_guard<std::mutex> lock(mu_);
      list = lists_[app];
    }
    metrics_.at(app).size->Set(static_cast<int64_t>(list.size()));
    if (fn_) fn_(app, list);
  }
}

bool BilibiliWatch::Apply(const std::string& app, const json::Json& info) {
  static const json::Json kNone = json::Json::object();
  std::vector<Instance> list;
  const json::Json* zones = &kNone;
  if (info.is_object()) {
    auto ts = info.find("latest_timestamp");
    if (ts != info.end() && ts->is_number_integer()) latest_[app] = ts->get<int64_t>();
    auto it = info.find("instances");
    if (it != info.end() && it->is_object()) zones = &*it;
  }
  for (const auto& [zone, records] : zones->items()) {
    if (!records.is_array()) continue;
    for (const auto& rec : records) {
      const json::Json* host =
          rec.is_object() && rec.contains("hostname") ? &rec["hostname"] : nullptr;
      Instance in;
      std::string err;
      if (!host || !host->is_string() || host->get_ref<const std::string&>().empty()) {
        err = "no hostname";
      } else if (DecodeInstance(rec, app, host->get<std::string>(), &in, &err)) {
        bool dup = std::any_of(list.begin(), list.end(),
                               [&](const Instance& o) { return o.hostname == in.hostname; });
        if (!dup) {
          list.push_back(std::move(in));
          continue;
        }
        err = "hostname listed twice";
      }
      metrics_.at(app).bad->Inc();
      LOG_EVERY_T(WARNING, 1) << "discovery: skipped an instance that is not a " << app
                              << " record zone=" << log::Printable(zone)
                              << " value=" << log::Printable(json::Dump(rec), 96) << " error("
                              << err << ")";
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto& cur = lists_[app];
  if (InGrace()) {
    for (const auto& old : cur) {
      bool back = std::any_of(list.begin(), list.end(),
                              [&](const Instance& o) { return o.hostname == old.hostname; });
      if (!back) list.push_back(old);  // not registered again yet
    }
  }
  std::sort(list.begin(), list.end(),
            [](const Instance& a, const Instance& b) { return a.hostname < b.hostname; });
  if (SameList(cur, list)) return false;
  cur = std::move(list);
  return true;
}

std::string BilibiliWatch::Fetch(const std::string& app, json::Json* info) {
  BilibiliReply r = client_.Get("/discovery/fetch",
                                {{"appid", app}, {"env", env_}, {"status", "1"}}, Ms(cfg_.timeout));
  *info = nullptr;  // -404: no instance at all
  if (!r.answered) return "fetch " + app + ": " + r.node + ": " + r.error;
  if (r.code == kNotFound) return "";
  if (r.code != 0)
    return "fetch " + app + ": " + r.node + " answered code " + std::to_string(r.code);
  std::string err;
  if (!json::Parse(r.data, info, &err)) return "fetch " + app + ": " + err;
  return "";
}

std::string BilibiliWatch::Resync(bool all) {
  std::map<std::string, json::Json> infos;
  for (const auto& app : apps_) {
    if (std::string err = Fetch(app, &infos[app]); !err.empty()) return err;
  }
  std::set<std::string> changed;
  for (const auto& app : apps_) {
    latest_[app] = 0;
    if (Apply(app, infos[app]) || all) changed.insert(app);
  }
  Publish(changed);
  return "";
}

std::string BilibiliWatch::Poll(bool* absent) {
  Params p{{"env", env_}, {"hostname", poller_}};
  for (const auto& app : apps_) p.emplace_back("appid", app);
  for (const auto& app : apps_) p.emplace_back("latest_timestamp", std::to_string(latest_[app]));
  BilibiliReply r = client_.Get("/discovery/polls", p, Ms(cfg_.pollTimeout));
  if (!r.answered) return "polls: " + r.node + ": " + r.error;
  if (r.code == kNotModified) return Recheck();
  if (r.code == kNotFound) return *absent = true, "";
  if (r.code != 0) return "polls: " + r.node + " answered code " + std::to_string(r.code);
  json::Json data;
  std::string err;
  if (!json::Parse(r.data, &data, &err) || !data.is_object())
    return "polls: " + r.node + ": data is not an object";
  std::set<std::string> changed;
  for (const auto& app : apps_) {
    auto it = data.find(app);
    if (it == data.end()) continue;
    int64_t before = latest_[app];
    if (Apply(app, *it)) changed.insert(app);
    // A list without a newer timestamp would be asked for again at once, forever.
    if (!it->is_null() && latest_[app] <= before) err = "no newer latest_timestamp for " + app;
  }
  for (const auto& app : r.missing) {
    if (!latest_.count(app) || data.contains(app)) continue;
    latest_[app] = 0;
    if (Apply(app, nullptr)) changed.insert(app);
  }
  Publish(changed);
  return err.empty() ? "" : "polls: " + r.node + ": " + err;
}

std::string BilibiliWatch::Recheck() {
  std::set<std::string> changed;
  std::string err;
  for (const auto& app : apps_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (lists_[app].empty()) continue;
    }
    json::Json info;
    err = Fetch(app, &info);
    if (!err.empty()) break;
    if (Apply(app, info)) changed.insert(app);
  }
  Publish(changed);
  return err;
}

void BilibiliWatch::Run() {
  bool need_resync = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    std::string why;
    bool absent = false;
    if (need_resync) why = Resync(false);
    if (why.empty()) {
      if (!connected_) {
        grace_until_ = std::chrono::steady_clock::now() + cfg_.rejoinGrace;
        settle_ = true;
        LOG(WARNING) << "discovery: bilibili discovery back app=" << Joined(apps_)
                     << " instances=" << Current().size() << "; instances it lacks stay listed for "
                     << Ms(cfg_.rejoinGrace).count() << "ms (rejoinGrace)";
        SetConnected(true);
      }
      need_resync = false;
      if (settle_ && !InGrace()) {
        settle_ = false;
        why = Resync(false);  // those that did not register again leave now
      }
      if (why.empty()) why = Poll(&absent);
      if (why.empty() && !absent) continue;  // the next poll at once, as the SDK
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    need_resync = true;  // absent applications, or a lost server: read every list again
    if (!why.empty()) {
      Errors()->Inc();
      if (connected_) {
        grace_until_ = std::chrono::steady_clock::time_point::max();  // the lists stay as they are
        lock.unlock();
        for (auto& [app, m] : metrics_) m.lost->Inc();
        LOG(ERROR) << "discovery: bilibili discovery lost app=" << Joined(apps_) << " error(" << why
                   << "); keeping the last known membership instances=" << Current().size();
        SetConnected(false);
        lock.lock();
      } else {
        LOG_EVERY_T(WARNING, 10) << "discovery: bilibili discovery still unreachable app="
                                 << Joined(apps_) << " error(" << why << ")";
      }
    }
    cv_.wait_for(lock, Ms(cfg_.retry), [this] { return stop_; });
  }
}

}  // namespace goim::discovery
