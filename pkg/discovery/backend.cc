// The membership backends behind discovery::Backend: static lists, etcd and bilibili discovery.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <glog/logging.h>

#include "pkg/discovery/bilibili_registration.h"
#include "pkg/discovery/bilibili_watch.h"
#include "pkg/discovery/etcd_registration.h"
#include "pkg/discovery/etcd_watch.h"
#include "pkg/discovery/membership.h"

namespace goim::discovery {

namespace {

class StaticRegistration : public Registration {
 public:
  void Update(const Instance&) override {}
  bool healthy() const override { return true; }
  void Close() override {}
};

class StaticWatch : public Watch {
 public:
  explicit StaticWatch(std::vector<Instance> list) : list_(std::move(list)) {}
  std::vector<Instance> Current() const override { return list_; }
  bool connected() const override { return true; }

 private:
  std::vector<Instance> list_;
};

class StaticBackend : public Backend {
 public:
  explicit StaticBackend(std::map<std::string, std::vector<Instance>> lists)
      : lists_(std::move(lists)) {}
  std::unique_ptr<Registration> Register(const Instance&, HealthFn) override {
    return std::make_unique<StaticRegistration>();
  }
  std::unique_ptr<Watch> WatchApp(const std::string& appid, Watch::Fn fn) override {
    std::vector<Instance> list = List(appid);
    if (fn) fn(list);
    return std::make_unique<StaticWatch>(std::move(list));
  }
  std::unique_ptr<Watch> WatchApps(const std::vector<std::string>& appids, AppsFn fn) override {
    std::vector<Instance> all;
    for (const auto& appid : appids) {
      std::vector<Instance> list = List(appid);
      if (fn) fn(appid, list);
      all.insert(all.end(), list.begin(), list.end());
    }
    return std::make_unique<StaticWatch>(std::move(all));
  }
  const char* name() const override { return "static"; }

 private:
  std::vector<Instance> List(const std::string& appid) {
    std::vector<Instance> list = lists_[appid];
    for (auto& in : list) in.appid = appid;
    return list;
  }
  std::map<std::string, std::vector<Instance>> lists_;
};

class EtcdBackend : public Backend {
 public:
  explicit EtcdBackend(const Config::Etcd& cfg)
      : cfg_(cfg),
        etcd_(std::make_shared<EtcdClient>(cfg.endpoints,
                                           std::chrono::duration_cast<Millis>(cfg.dialTimeout))) {}

  std::unique_ptr<Registration> Register(const Instance& in, HealthFn health) override {
    auto r = std::make_unique<EtcdRegistration>(
        etcd_, Dir(in.appid) + in.hostname, in,
        std::chrono::duration_cast<std::chrono::seconds>(cfg_.ttl), std::move(health));
    r->Start();
    return r;
  }
  std::unique_ptr<Watch> WatchApp(const std::string& appid, Watch::Fn fn) override {
    AppsFn each;
    if (fn) each = [fn = std::move(fn)](const std::string&, const auto& list) { fn(list); };
    return WatchApps({appid}, std::move(each));
  }
  std::unique_ptr<Watch> WatchApps(const std::vector<std::string>& appids, AppsFn fn) override {
    auto w = std::make_unique<EtcdWatch>(etcd_, cfg_.prefix + "/", appids, std::move(fn));
    w->Start();
    return w;
  }
  const char* name() const override { return "etcd"; }

 private:
  std::string Dir(const std::string& appid) const { return cfg_.prefix + "/" + appid + "/"; }
  Config::Etcd cfg_;
  std::shared_ptr<EtcdClient> etcd_;
};

class BilibiliBackend : public Backend {
 public:
  BilibiliBackend(const Config::Bilibili& cfg, const conf::Env& env)
      : cfg_(cfg), env_(env.deployEnv), host_(env.host) {
    // The server keys instances by appid and env: without one nobody finds anybody.
    if (env_.empty())
      throw std::invalid_argument(
          "discovery.bilibili: env.deployEnv (-deploy.env, DEPLOY_ENV) must be set");
  }

  std::unique_ptr<Registration> Register(const Instance& in, HealthFn health) override {
    auto r = std::make_unique<BilibiliRegistration>(cfg_, in, std::move(health));
    r->Start();
    return r;
  }
  std::unique_ptr<Watch> WatchApp(const std::string& appid, Watch::Fn fn) override {
    AppsFn each;
    if (fn) each = [fn = std::move(fn)](const std::string&, const auto& list) { fn(list); };
    return WatchApps({appid}, std::move(each));
  }
  std::unique_ptr<Watch> WatchApps(const std::vector<std::string>& appids, AppsFn fn) override {
    // The server keeps one held poll per (env, appid, poller name): each watch needs its own.
    static std::atomic<int> seq{0};
    std::string poller = (host_.empty() ? "goim" : host_) + "." + std::to_string(getpid()) + "." +
                         std::to_string(++seq);
    auto w = std::make_unique<BilibiliWatch>(cfg_, env_, poller, appids, std::move(fn));
    w->Start();
    return w;
  }
  const char* name() const override { return "bilibili"; }

 private:
  Config::Bilibili cfg_;
  std::string env_;
  std::string host_;
};

}  // namespace

Instance Self(const conf::Env& env, const char* appid, std::string grpc) {
  Instance in;
  in.appid = appid;
  in.hostname = env.host;
  in.region = env.region;
  in.zone = env.zone;
  in.env = env.deployEnv;
  in.weight = env.weight;
  in.addrs = env.addrs;
  in.offline = env.offline;
  in.grpc = std::move(grpc);
  in.epoch = NewEpoch();
  return in;
}

std::unique_ptr<Backend> NewStaticBackend(std::map<std::string, std::vector<Instance>> lists) {
  return std::make_unique<StaticBackend>(std::move(lists));
}

std::unique_ptr<Backend> NewBackend(const Config& cfg, const conf::Env& env,
                                    std::map<std::string, std::vector<Instance>> lists) {
  if (!cfg.bilibili.nodes.empty()) return std::make_unique<BilibiliBackend>(cfg.bilibili, env);
  if (cfg.enabled()) return std::make_unique<EtcdBackend>(cfg.etcd);
  return NewStaticBackend(std::move(lists));
}

}  // namespace goim::discovery
