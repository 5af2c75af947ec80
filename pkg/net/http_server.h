// net::HttpServer: a small HTTP/1.1 server on Boost.Beast for the push API and /metrics.
// One acceptor per event loop (SO_REUSEPORT); a connection stays on its loop; keep-alive; one
// request at a time per connection. A handler answers through HttpReply, from any thread, once.
// A failing accept (out of descriptors) is retried after 50 ms; connections past max_conns are
// answered 503 and closed; both are counted (goim_http_accept_errors_total,
// goim_http_refused_total; goim_http_connections is what is open).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pkg/net/loop_pool.h"

namespace goim::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path?query as sent
  std::string path;
  std::string query;
  std::string body;
  std::string remote_ip;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // The first header named name (lower case), or "".
  const std::string& Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Calls back exactly once with the response; may be called from any thread.
using HttpReply = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, HttpReply)>;

// goim's (gin's) answer to a path or method it does not serve: 404, "404 page not found".
HttpResponse NotFound();
// The default metrics registry as a Prometheus text page.
HttpResponse MetricsPage();
// Serves /metrics (MetricsPage); NotFound for anything else.
HttpHandler MetricsHandler();

class HttpServer {
 public:
  struct Options {
    size_t max_body = 1 << 20;  // larger bodies get 413
    int idle_timeout_sec = 60;  // keep-alive idle limit
    int max_conns = 0;          // open connections at most (0: no limit); more get 503
  };
  HttpServer(LoopPool& loops, HttpHandler handler, Options opts);
  ~HttpServer();

  // Binds addr on every loop; throws on failure. Returns the bound port.
  uint16_t Listen(const std::string& addr);
  // Stops accepting (connections in flight finish). Call before the loops stop.
  void Close();
  uint16_t port() const { return port_; }
  // Connections open now (refused ones not included). [thread-safe]
  int connections() const { return conns_.load(std::memory_order_relaxed); }

 private:
  class Acceptor;
  LoopPool& loops_;
  HttpHandler handler_;
  Options opts_;
  std::atomic<int> conns_{0};
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
  uint16_t port_ = 0;
};

}  // namespace goim::net
