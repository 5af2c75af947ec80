#include "logic/http_api.h"

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <glog/logging.h>
#include <nlohmann/json.hpp>

#include "logic/http_params.h"
#include "pkg/hash/digest.h"
#include "pkg/json/json.h"
#include "pkg/log/log.h"
#include "pkg/metrics/metrics.h"
#include "pkg/net/url.h"
#include "pkg/strings/strings.h"

namespace goim::logic {

std::string Envelope(int code, const std::string& message) {
  return json::Dump({{"code", code}, {"message", message}});
}

std::string Envelope(int code, const std::string& message, json::Json data) {
  return json::Dump({{"code", code}, {"message", message}, {"data", std::move(data)}});
}

namespace {

const char* ContentType(const std::string& path) {
  auto ends = [&](const char* ext) {
    size_t n = std::strlen(ext);
    return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

void HttpApi::Handle(net::HttpRequest&& req, net::HttpReply reply) {
  const std::string& path = req.path;
  // A wrong method is an unknown route to gin: goim answers 404 page not found. Allow says which
  // method the path takes (a header goim does not send; the status and body are goim's).
  auto method_is = [&](const char* m) {
    if (req.method == m) return true;
    BadRequests()->Inc();
    net::HttpResponse r = net::NotFound();
    r.headers.emplace_back("Allow", m);
    reply(std::move(r));
    return false;
  };
  if (path.rfind("/goim/push/", 0) == 0) {
    if (method_is("POST")) Push(std::move(req), std::move(reply));
  } else if (path == "/goim/online/top" || path == "/goim/online/room" ||
             path == "/goim/online/total") {
    if (method_is("GET")) Online(req, std::move(reply));
  } else if (path == "/goim/history/room") {
    // goim-cpp addition (logic/history_api.cc).
    if (method_is("GET")) History(req, std::move(reply));
  } else if (path == "/goim/nodes/weighted") {
    if (method_is("GET")) NodesWeighted(req, std::move(reply));
  } else if (path == "/goim/nodes/instances") {
    if (method_is("GET")) NodesInstances(std::move(reply));
  } else if (path == "/goim/server/del") {
    // goim-cpp addition (goim v1: POST /1/server/del): drop a dead comet's sessions.
    if (!method_is("POST") || !Authorized(req, req.query, reply)) return;
    Params p(req.query);
    std::string server, err;
    if (!p.String("server", &server, &err)) {
      BadRequests()->Inc();
      return reply(Reply(kRequestErr, err, 400));
    }
    core_.DelServer(server, [reply](Result r, int deleted) {
      reply(r.ok() ? Data({{"deleted", deleted}}) : Reply(r.code, r.message));
    });
  } else if (path == "/metrics") {
    reply(net::MetricsPage());
  } else if (!core_.config().httpServer.staticDir.empty() && req.method == "GET" &&
             path.rfind("/goim/", 0) != 0) {
    Static(req, std::move(reply));
  } else {
    reply(net::NotFound());
  }
}

bool HttpApi::Authorized(const net::HttpRequest& req, const std::string& query,
                         const net::HttpReply& reply) {
  const std::string& key = core_.config().httpServer.apiKey;
  if (key.empty()) return true;
  Params p(query);
  const std::string* q = p.First("api_key");
  // Compared in constant time: how long a wrong key took must not tell how much of it was right.
  auto matches = [&key](std::string_view given) { return hash::ConstantTimeEqual(given, key); };
  std::string_view bearer = req.Header("authorization");
  if (matches(req.Header("x-goim-key")) ||
      (bearer.starts_with("Bearer ") && matches(bearer.substr(7))) || (q && matches(*q)))
    return true;
  BadRequests()->Inc();
  reply(Reply(kRequestErr, "api key required: X-Goim-Key header or api_key parameter", 401));
  return false;
}

void HttpApi::Push(net::HttpRequest&& req, net::HttpReply reply) {
  const auto& cfg = core_.config().httpServer;
  Params p(req.query);
  if (!Authorized(req, req.query, reply)) return;
  auto bad = [&](const std::string& msg) {
    BadRequests()->Inc();
    LOG_EVERY_T(INFO, 1) << "logic: bad push path=" << log::Printable(req.path, 256)
                         << " ip=" << req.remote_ip << " error(" << log::Printable(msg, 256) << ")";
    reply(Reply(kRequestErr, msg, 400));
  };
  if (!p.bad().empty()) return bad("malformed query parameter '" + p.bad() + "'");
  if (req.body.size() > static_cast<size_t>(cfg.maxBodySize)) {
    return bad("body: " + std::to_string(req.body.size()) + " bytes is over the limit of " +
               std::to_string(cfg.maxBodySize));
  }
  auto respond = [reply](Result r) { reply(Reply(r.code, r.message)); };
  std::string err;
  int32_t op = 0;
  const std::string& kind = req.path;
  if (kind == "/goim/push/keys") {
    if (!p.Int("operation", false, &op, &err)) return bad(err);
    std::vector<std::string> keys = p.List("keys");
    if (keys.empty()) return bad("keys: required");
    return core_.PushKeys(op, std::move(keys), std::move(req.body), respond);
  }
  if (kind == "/goim/push/mids") {
    if (!p.Int("operation", false, &op, &err)) return bad(err);
    std::vector<int64_t> mids;
    for (const auto& s : p.List("mids")) {
      int64_t m;
      if (!Params::ParseInt(s, &m)) return bad("mids: '" + s + "' is not a valid int64");
      mids.push_back(m);
    }
    if (mids.empty()) return bad("mids: required");
    return core_.PushMids(op, std::move(mids), std::move(req.body), respond);
  }
  if (kind == "/goim/push/room") {
    std::string type, room;
    if (!p.Int("operation", true, &op, &err) || !p.String("type", &type, &err) ||
        !p.String("room", &room, &err))
      return bad(err);
    return core_.PushRoom(op, type, room, std::move(req.body), respond);
  }
  if (kind == "/goim/push/all") {
    int32_t speed = 0;
    if (!p.Int("operation", true, &op, &err) || !p.Int("speed", false, &speed, &err))
      return bad(err);
    if (speed < 0) return bad("speed: must be >= 0");
    return core_.PushAll(op, speed, std::move(req.body), respond);
  }
  reply(net::NotFound());
}

void HttpApi::Online(const net::HttpRequest& req, net::HttpReply reply) {
  Params p(req.query);
  std::string err;
  auto bad = [&](const std::string& msg) {
    BadRequests()->Inc();
    reply(Reply(kRequestErr, msg, 400));
  };
  if (req.path == "/goim/online/total") {
    auto [ips, conns] = core_.OnlineTotal();
    return reply(Data({{"ip_count", ips}, {"conn_count", conns}}));
  }
  std::string type;
  if (!p.String("type", &type, &err)) return bad(err);
  if (req.path == "/goim/online/top") {
    int32_t limit = 0;
    if (!p.Int("limit", true, &limit, &err)) return bad(err);
    if (limit < 0) return bad("limit: must be > 0");
    json::Json top = json::Json::array();
    for (const auto& rc : core_.OnlineTop(type, limit))
      top.push_back({{"room_id", rc.room_id}, {"count", rc.count}});
    return reply(Data(std::move(top)));
  }
  std::vector<std::string> rooms = p.List("rooms");
  if (rooms.empty()) return bad("rooms: required");
  json::Json counts = json::Json::object();
  for (const auto& [room, n] : core_.OnlineRoom(type, rooms)) counts[room] = n;
  reply(Data(std::move(counts)));
}

void HttpApi::NodesWeighted(const net::HttpRequest& req, net::HttpReply reply) {
  Params p(req.query);
  const std::string* platform = p.First("platform");
  goim::logic::NodesReply n = core_.Nodes(platform ? *platform : "", req.remote_ip);
  json::Json nodes = json::Json::array();
  for (const auto& node : n.nodes()) nodes.push_back(node);
  reply(Data({{"domain", n.domain()},
              {"tcp_port", n.tcp_port()},
              {"ws_port", n.ws_port()},
              {"wss_port", n.wss_port()},
              {"heartbeat", n.heartbeat()},
              {"heartbeat_max", n.heartbeat_max()},
              {"nodes", std::move(nodes)},
              {"backoff",
               {{"max_delay", n.backoff().max_delay()},
                {"base_delay", n.backoff().base_delay()},
                {"factor", json::Float32(n.backoff().factor())},
                {"jitter", json::Float32(n.backoff().jitter())}}}}));
}

void HttpApi::NodesInstances(net::HttpReply reply) {
  json::Json list = json::Json::array();
  const auto& env = core_.config().env;
  for (const auto& [in, online] : core_.Instances()) {
    std::string addrs;
    for (const auto& a : in.addrs) addrs += (addrs.empty() ? "" : ",") + a;
    list.push_back({{"region", in.region},
                    {"zone", in.zone},
                    {"env", env.deployEnv},
                    {"appid", "goim.comet"},
                    {"hostname", in.hostname},
                    {"addrs", json::Json::array({"grpc://" + in.grpc})},
                    {"version", ""},
                    {"latest_timestamp", online.updated_ms() * 1000000LL},
                    {"metadata",
                     {{"addrs", addrs},
                      {"conn_count", std::to_string(online.conn_count())},
                      {"ip_count", std::to_string(online.ip_count())},
                      {"offline", in.offline ? "true" : "false"},
                      {"weight", std::to_string(in.weight)}}}});
  }
  reply(Data(std::move(list)));
}

void HttpApi::Static(const net::HttpRequest& req, net::HttpReply reply) {
  std::string rel = req.path == "/" ? "/index.html" : req.path;
  net::HttpResponse r;
  if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos) {
    r.status = 400;
    r.content_type = "text/plain";
    r.body = "bad path";
    return reply(std::move(r));
  }
  std::ifstream in(core_.config().httpServer.staticDir + rel, std::ios::binary);
  if (!in) return reply(net::NotFound());
  std::stringstream ss;
  ss << in.rdbuf();
  r.content_type = ContentType(rel);
  r.body = ss.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  reply(std::move(r));
}

}  // namespace goim::logic
