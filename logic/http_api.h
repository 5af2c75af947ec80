// logic::HttpApi: goim's HTTP API under /goim (push/keys, push/mids, push/room, push/all,
// online/top, online/room, online/total, nodes/weighted, nodes/instances) with its
// {code,message,data} envelope, plus POST /goim/server/del?server= (drop a dead comet's sessions,
// as goim v1's /1/server/del), GET /goim/history/room (room history, logic/history_api.cc),
// /metrics and, when configured, static files at /.
// Query parameters as goim: lists are repeated parameters (mids=1&mids=2), comma-separated lists
// are accepted too; the POST body is the raw message. Statuses as goim (gin): a bad parameter
// 400 with code -400, a wrong method 404 page not found (README lists what differs).
#pragma once

#include "logic/logic.h"
#include "pkg/json/json.h"
#include "pkg/net/http_server.h"

namespace goim::logic {

class HttpApi {
 public:
  explicit HttpApi(LogicCore& core) : core_(core) {}
  void Handle(net::HttpRequest&& req, net::HttpReply reply);

 private:
  // With httpServer.apiKey set, write endpoints need it; answers 401 itself when missing.
  bool Authorized(const net::HttpRequest& req, const std::string& query,
                  const net::HttpReply& reply);
  void Push(net::HttpRequest&& req, net::HttpReply reply);
  void Online(const net::HttpRequest& req, net::HttpReply reply);
  void NodesWeighted(const net::HttpRequest& req, net::HttpReply reply);
  void NodesInstances(net::HttpReply reply);
  // GET /goim/history/room (logic/history_api.cc).
  void History(const net::HttpRequest& req, net::HttpReply reply);
  void Static(const net::HttpRequest& req, net::HttpReply reply);

  LogicCore& core_;
};

// goim's reply {"code":code,"message":message[,"data":data]}.
std::string Envelope(int code, const std::string& message);
std::string Envelope(int code, const std::string& message, json::Json data);

}  // namespace goim::logic
