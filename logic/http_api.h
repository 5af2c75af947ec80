// logic::HttpApi: goim's HTTP API under /goim (push/keys, push/mids, push/room, push/all,
// online/top, online/room, online/total, nodes/weighted, nodes/instances) with its
// {code,message,data} envelope, plus /metrics and, when configured, static files at /.
// Query parameters as goim: lists are repeated parameters (mids=1&mids=2), comma-separated lists
// are accepted too; the POST body is the raw message.
#pragma once

#include "logic/logic.h"
#include "pkg/net/http_server.h"

namespace goim::logic {

class HttpApi {
 public:
  explicit HttpApi(LogicCore& core) : core_(core) {}
  void Handle(net::HttpRequest&& req, net::HttpReply reply);

 private:
  void Push(net::HttpRequest&& req, net::HttpReply reply);
  void Online(const net::HttpRequest& req, net::HttpReply reply);
  void NodesWeighted(const net::HttpRequest& req, net::HttpReply reply);
  void NodesInstances(net::HttpReply reply);
  void Static(const net::HttpRequest& req, net::HttpReply reply);

  LogicCore& core_;
};

// {"code":code,"message":message[,"data":data_json]}
std::string Envelope(int code, const std::string& message, const std::string& data_json = "");

}  // namespace goim::logic
