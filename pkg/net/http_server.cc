#include "pkg/net/http_server.h"

#include <optional>

#include <glog/logging.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "pkg/metrics/metrics.h"
#include "pkg/net/listen.h"
#include "pkg/strings/strings.h"

namespace goim::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;

const std::string& HttpRequest::Header(const std::string& name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return kEmpty;
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket sock, const HttpHandler& handler, const HttpServer::Options& opts)
      : stream_(std::move(sock)), handler_(handler), opts_(opts) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(opts_.max_body);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_sec));
    http::async_read(
        stream_, buf_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      HttpResponse r;
      r.status = 413;
      r.body = R"({"code":-400,"message":"body: over the limit of )" +
               std::to_string(opts_.max_body) + R"( bytes"})";
      keep_alive_ = false;
      Write(std::move(r));
      return;
    }
    if (ec) return;  // closed, timed out or malformed: drop the connection
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.body = std::move(msg.body());
    for (const auto& f : msg) req.headers.emplace_back(strings::Lower(f.name_string()), f.value());
    boost::system::error_code ignored;
    auto ep = stream_.socket().remote_endpoint(ignored);
    if (!ignored) req.remote_ip = ep.address().to_string();
    stream_.expires_never();
    auto self = shared_from_this();
    handler_(std::move(req), [self](HttpResponse r) {
      auto executor = self->stream_.get_executor();
      asio::post(executor, [self, r = std::move(r)]() mutable { self->Write(std::move(r)); });
    });
  }

  void Write(HttpResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "goim-cpp");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_sec));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !self->keep_alive_) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler& handler_;
  const HttpServer::Options& opts_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
};

}  // namespace

HttpResponse NotFound() {
  HttpResponse r;
  r.status = 404;
  r.content_type = "text/plain";
  r.body = "404 page not found";
  return r;
}

HttpResponse MetricsPage() {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = metrics::Registry::Default().Render();
  return r;
}

HttpHandler MetricsHandler() {
  return [](HttpRequest&& req, HttpReply reply) {
    reply(req.path == "/metrics" ? MetricsPage() : NotFound());
  };
}

class HttpServer::Acceptor : public std::enable_shared_from_this<HttpServer::Acceptor> {
 public:
  Acceptor(std::unique_ptr<tcp::acceptor> acc, const HttpHandler& h, const Options& o)
      : acc_(std::move(acc)), handler_(h), opts_(o) {}
  void Accept() {
    acc_->async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acc_->is_open()) return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(s), self->handler_, self->opts_)->Start();
      } else {
        LOG_EVERY_T(WARNING, 1) << "http: accept error(" << ec.message() << ")";
      }
      self->Accept();
    });
  }
  void Close() {
    asio::post(acc_->get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acc_->close(ec);
    });
  }

 private:
  std::unique_ptr<tcp::acceptor> acc_;
  const HttpHandler& handler_;
  const Options& opts_;
};

HttpServer::HttpServer(LoopPool& loops, HttpHandler handler, Options opts)
    : loops_(loops), handler_(std::move(handler)), opts_(opts) {}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::Listen(const std::string& addr) {
  std::vector<asio::io_context*> ios;
  for (int i = 0; i < loops_.size(); ++i) ios.push_back(&loops_.Get(i));
  auto accs = ListenAll(ios, addr);
  port_ = accs.front()->local_endpoint().port();
  for (auto& a : accs) {
    acceptors_.push_back(std::make_shared<Acceptor>(std::move(a), handler_, opts_));
    acceptors_.back()->Accept();
  }
  return port_;
}

void HttpServer::Close() {
  for (auto& a : acceptors_) a->Close();
}

}  // namespace goim::net
