// net::HttpClient: a small blocking HTTP/1.1 client with keep-alive, for tests and load tools
// (one per thread). Reconnects once when a kept-alive connection turns out closed.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace goim::net {

struct HttpResult {
  int status = 0;  // 0: no response (error holds why)
  std::string body;
  std::string error;
};

class HttpClient {
 public:
  // host:port, e.g. "127.0.0.1:3111".
  explicit HttpClient(std::string addr,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();

  HttpResult Get(const std::string& target);
  HttpResult Post(const std::string& target, const std::string& body,
                  const std::string& content_type = "application/octet-stream");
  HttpResult Do(const std::string& method, const std::string& target, const std::string& body,
                const std::string& content_type, const std::string& extra_header = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace goim::net
