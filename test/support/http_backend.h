// A stand-in for an operator's backend in hook tests: an HTTP server on 127.0.0.1 (a free port)
// that records every request and answers with what the test's handler returns, or holds the
// answer until the test releases it (a backend that does not answer in time).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pkg/net/http_server.h"
#include "pkg/net/loop_pool.h"

namespace goim::testing {

class HttpBackend {
 public:
  // nullopt: hold the answer until ReleaseHeld.
  using Handler = std::function<std::optional<net::HttpResponse>(const net::HttpRequest&)>;

  // Listens at once; answers 200 with an empty body until SetHandler.
  HttpBackend();
  ~HttpBackend();

  void SetHandler(Handler h);
  // http://127.0.0.1:<port><path>
  std::string Url(const std::string& path) const;
  std::vector<net::HttpRequest> Requests();
  size_t Held();
  // Connections open at the backend now.
  int Connections() const { return server_->connections(); }
  // Answers every held request with r.
  void ReleaseHeld(const net::HttpResponse& r);

  // A JSON response with status 200.
  static net::HttpResponse Json(const std::string& body, int status = 200);

 private:
  std::mutex mu_;
  Handler handler_;
  std::vector<net::HttpRequest> requests_;
  std::vector<net::HttpReply> held_;
  net::LoopPool loops_{1, "backend"};
  std::unique_ptr<net::HttpServer> server_;
  uint16_t port_ = 0;
};

}  // namespace goim::testing
