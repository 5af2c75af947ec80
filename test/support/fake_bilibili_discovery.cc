#include "test/support/fake_bilibili_discovery.h"

#include <algorithm>
#include <cstdlib>

namespace goim::testing {

namespace {

std::string Key(const std::string& env, const std::string& appid) { return env + "/" + appid; }

// missing: the polls' error["-404"] member.
std::string Envelope(int code, const json::Json& data = nullptr,
                     const std::vector<std::string>* missing = nullptr) {
  json::Json v = json::Json::object();
  v["code"] = code;
  v["message"] = std::to_string(code);
  v["ttl"] = 1;
  v["data"] = data;
  if (missing) v["error"] = {{"-404", *missing}};
  return json::Dump(v);
}

std::vector<std::string> All(const net::QueryParams& p, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : p)
    if (k == name) out.push_back(v);
  return out;
}

}  // namespace

std::string FakeBilibiliDiscovery::Request::Get(const std::string& name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return "";
}

FakeBilibiliDiscovery::FakeBilibiliDiscovery(std::chrono::milliseconds hold) : hold_(hold) {
  Start();
  expirer_ = std::thread([this] { Expire(); });
}

FakeBilibiliDiscovery::~FakeBilibiliDiscovery() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  expirer_.join();
  Stop();
}

void FakeBilibiliDiscovery::Start() {
  loops_ = std::make_unique<net::LoopPool>(1, "fake-discovery");
  server_ = std::make_unique<net::HttpServer>(
      *loops_,
      [this](net::HttpRequest&& req, net::HttpReply reply) { Handle(std::move(req), reply); },
      net::HttpServer::Options{});
  port_ = server_->Listen("127.0.0.1:" + std::to_string(port_));
  loops_->Start();
}

void FakeBilibiliDiscovery::Stop() {
  if (!server_) return;
  std::vector<Poll> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held.swap(held_);
    apps_.clear();  // a restarted server knows nobody
  }
  server_->Close();
  loops_->Stop();
  held.clear();  // never answered: the connections die with the loop
  server_.reset();
  loops_.reset();
}

std::string FakeBilibiliDiscovery::addr() const { return "127.0.0.1:" + std::to_string(port_); }

std::vector<FakeBilibiliDiscovery::Request> FakeBilibiliDiscovery::Requests(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Request> out;
  for (const auto& r : requests_)
    if (r.path == path) out.push_back(r);
  return out;
}

size_t FakeBilibiliDiscovery::Held() {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

int64_t FakeBilibiliDiscovery::Now() {
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  last_ts_ = std::max(ns, last_ts_ + 1);
  return last_ts_;
}

json::Json FakeBilibiliDiscovery::Info(const std::string& env, const std::string& appid) const {
  auto it = apps_.find(Key(env, appid));
  if (it == apps_.end()) return nullptr;
  json::Json info = json::Json::object();
  json::Json& zones = info["instances"] = json::Json::object();
  for (const auto& [zone, hosts] : it->second.zones) {
    json::Json& list = zones[zone] = json::Json::array();
    for (const auto& [host, rec] : hosts) list.push_back(rec);
  }
  info["latest_timestamp"] = it->second.latest;
  return info;
}

void FakeBilibiliDiscovery::Changed(const std::string& env, const std::string& appid) {
  auto it = apps_.find(Key(env, appid));
  if (it == apps_.end()) return;
  bool empty = std::all_of(it->second.zones.begin(), it->second.zones.end(),
                           [](const auto& z) { return z.second.empty(); });
  if (empty) {
    // As the server: an application without instances is gone (-404 to fetch), and the polls
    // waiting for it are not answered (its broadcast fails to read it and gives up).
    apps_.erase(it);
    return;
  }
  it->second.latest = Now();
  // The server answers a waiting poll with the changed application alone.
  json::Json data = json::Json::object();
  data[appid] = Info(env, appid);
  for (auto p = held_.begin(); p != held_.end();) {
    if (p->env == env && std::count(p->apps.begin(), p->apps.end(), appid)) {
      net::HttpResponse r;
      r.body = Envelope(0, data, &p->missing);
      p->reply(r);
      p = held_.erase(p);
    } else {
      ++p;
    }
  }
}

void FakeBilibiliDiscovery::Put(const std::string& env, const std::string& appid,
                                const std::string& zone, const std::string& hostname,
                                json::Json record) {
  std::lock_guard<std::mutex> lock(mu_);
  apps_[Key(env, appid)].zones[zone][hostname] = std::move(record);
  Changed(env, appid);
}

json::Json FakeBilibiliDiscovery::Find(const std::string& env, const std::string& appid,
                                       const std::string& hostname) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = apps_.find(Key(env, appid));
  if (it == apps_.end()) return nullptr;
  for (const auto& [zone, hosts] : it->second.zones) {
    auto h = hosts.find(hostname);
    if (h != hosts.end()) return h->second;
  }
  return nullptr;
}

void FakeBilibiliDiscovery::Evict(const std::string& env, const std::string& appid,
                                  const std::string& hostname) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = apps_.find(Key(env, appid));
  if (it == apps_.end()) return;
  for (auto& [zone, hosts] : it->second.zones) hosts.erase(hostname);
  Changed(env, appid);
}

void FakeBilibiliDiscovery::Handle(net::HttpRequest&& req, net::HttpReply reply) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  r.params = net::ParseQuery(req.method == "POST" ? req.body : req.query);
  r.at = std::chrono::steady_clock::now();
  std::string body;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(r);
    body = Answer(r, &reply);
  }
  if (body.empty()) return;  // held
  net::HttpResponse resp;
  resp.body = body;
  reply(resp);
}

std::string FakeBilibiliDiscovery::Answer(const Request& r, net::HttpReply* reply) {
  const std::string env = r.Get("env"), appid = r.Get("appid"), host = r.Get("hostname");
  auto app = apps_.find(Key(env, appid));
  auto found = [&](std::string* zone) {
    if (app == apps_.end()) return false;
    for (const auto& [z, hosts] : app->second.zones) {
      if (hosts.count(host)) return *zone = z, true;
    }
    return false;
  };
  std::string zone;
  if (r.method == "POST" && r.path == "/discovery/register") {
    std::string status = r.Get("status");
    if (r.Get("zone").empty() || env.empty() || appid.empty() || host.empty() ||
        All(r.params, "addrs").empty() || (status != "1" && status != "2"))
      return Envelope(-400);
    json::Json meta = json::Json::object();
    std::string err;
    if (!r.Get("metadata").empty() &&
        (!json::Parse(r.Get("metadata"), &meta, &err) || !meta.is_object()))
      return Envelope(-400);
    json::Json rec = json::Json::object();
    rec["region"] = r.Get("region");
    rec["zone"] = r.Get("zone");
    rec["env"] = env;
    rec["appid"] = appid;
    rec["hostname"] = host;
    rec["addrs"] = All(r.params, "addrs");
    rec["version"] = r.Get("version");
    rec["metadata"] = meta;
    rec["status"] = std::stoi(status);
    int64_t now = Now();
    for (const char* ts : {"reg_timestamp", "up_timestamp", "renew_timestamp", "dirty_timestamp"})
      rec[ts] = now;
    rec["latest_timestamp"] = 0;
    apps_[Key(env, appid)].zones[r.Get("zone")][host] = std::move(rec);
    Changed(env, appid);
    return Envelope(0);
  }
  if (r.method == "POST" && r.path == "/discovery/renew") {
    if (!found(&zone)) return Envelope(-404);
    json::Json& rec = app->second.zones[zone][host];
    rec["renew_timestamp"] = Now();
    return Envelope(0, rec);
  }
  if (r.method == "POST" && r.path == "/discovery/cancel") {
    if (!found(&zone)) return Envelope(-404);
    app->second.zones[zone].erase(host);
    Changed(env, appid);
    return Envelope(0);
  }
  if (r.method == "GET" && r.path == "/discovery/fetch") {
    json::Json info = Info(env, appid);
    return info.is_null() ? Envelope(-404) : Envelope(0, info);
  }
  if (r.method == "GET" && r.path == "/discovery/nodes") {
    json::Json nodes = json::Json::array();
    nodes.push_back({{"addr", addr()}, {"status", 0}, {"zone", ""}});
    return Envelope(0, nodes);
  }
  if (r.method == "GET" && r.path == "/discovery/polls") {
    std::vector<std::string> apps = All(r.params, "appid"), tss = All(r.params, "latest_timestamp");
    if (apps.size() != tss.size() || host.empty()) return Envelope(-400);
    json::Json data = json::Json::object();
    std::vector<std::string> missing;
    for (size_t i = 0; i < apps.size(); ++i) {
      char* end = nullptr;
      long long ts = std::strtoll(tss[i].c_str(), &end, 10);
      if (tss[i].empty() || *end != '\0') return Envelope(-400);
      auto it = apps_.find(Key(env, apps[i]));
      if (it == apps_.end()) {
        missing.push_back(apps[i]);
      } else if (it->second.latest > ts) {
        data[apps[i]] = Info(env, apps[i]);
      }
    }
    if (!data.empty()) return Envelope(0, data, &missing);
    held_.push_back(
        {env, apps, missing, std::move(*reply), std::chrono::steady_clock::now() + hold_});
    cv_.notify_all();
    return "";
  }
  return Envelope(-404);
}

void FakeBilibiliDiscovery::Expire() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(20));
    auto now = std::chrono::steady_clock::now();
    for (auto p = held_.begin(); p != held_.end();) {
      if (p->until > now) {
        ++p;
        continue;
      }
      net::HttpResponse r;
      r.body = Envelope(-304);
      p->reply(r);
      p = held_.erase(p);
    }
  }
}

}  // namespace goim::testing
