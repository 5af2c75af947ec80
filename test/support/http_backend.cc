#include "test/support/http_backend.h"

namespace goim::testing {

HttpBackend::HttpBackend() {
  server_ = std::make_unique<net::HttpServer>(
      loops_,
      [this](net::HttpRequest&& req, net::HttpReply reply) {
        std::optional<net::HttpResponse> answer = net::HttpResponse{};
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(req);
          if (handler_) answer = handler_(req);
          if (!answer) {
            held_.push_back(std::move(reply));
            return;
          }
        }
        reply(std::move(*answer));
      },
      net::HttpServer::Options{});
  port_ = server_->Listen("127.0.0.1:0");
  loops_.Start();
}

HttpBackend::~HttpBackend() {
  ReleaseHeld(Json("{}", 503));
  server_->Close();
  loops_.Stop();
}

void HttpBackend::SetHandler(Handler h) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(h);
}

std::string HttpBackend::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<net::HttpRequest> HttpBackend::Requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t HttpBackend::Held() {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.size();
}

void HttpBackend::ReleaseHeld(const net::HttpResponse& r) {
  std::vector<net::HttpReply> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held.swap(held_);
  }
  for (auto& reply : held) reply(r);
}

net::HttpResponse HttpBackend::Json(const std::string& body, int status) {
  net::HttpResponse r;
  r.status = status;
  r.body = body;
  return r;
}

}  // namespace goim::testing
