#include "pkg/net/http_client.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "pkg/net/asio.h"
#include "pkg/net/listen.h"

namespace goim::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;

struct HttpClient::Impl {
  std::string addr;
  std::chrono::milliseconds timeout;
  asio::io_context io{1};
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buf;
};

HttpClient::HttpClient(std::string addr, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->addr = std::move(addr);
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::Get(const std::string& target) { return Do("GET", target, "", ""); }

HttpResult HttpClient::Post(const std::string& target, const std::string& body,
                            const std::string& content_type) {
  return Do("POST", target, body, content_type);
}

HttpResult HttpClient::Do(const std::string& method, const std::string& target,
                          const std::string& body, const std::string& content_type,
                          const std::string& extra_header) {
  HttpResult out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool fresh = false;
    beast::error_code ec;
    if (!impl_->stream) {
      impl_->stream = std::make_unique<beast::tcp_stream>(impl_->io);
      impl_->stream->expires_after(impl_->timeout);
      try {
        impl_->stream->connect(ParseEndpoint(impl_->addr));
      } catch (const std::exception& e) {
        impl_->stream.reset();
        out.error = std::string("connect: ") + e.what();
        return out;
      }
      impl_->buf.clear();
      fresh = true;
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, impl_->addr);
    req.keep_alive(true);
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    if (!extra_header.empty()) {
      size_t colon = extra_header.find(':');
      std::string value = extra_header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.set(extra_header.substr(0, colon), value);
    }
    req.body() = body;
    req.prepare_payload();
    impl_->stream->expires_after(impl_->timeout);
    http::write(*impl_->stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(*impl_->stream, impl_->buf, res, ec);
    if (ec) {
      impl_->stream.reset();
      out.error = ec.message();
      if (!fresh) continue;  // a kept-alive connection the server had closed: try once more
      return out;
    }
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.error.clear();
    if (!res.keep_alive()) impl_->stream.reset();
    return out;
  }
  return out;
}

}  // namespace goim::net
