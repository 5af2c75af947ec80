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

// How long a connection that is being closed keeps reading (and dropping) what its client still
// sends, so the close does not reset the connection before the client has read the answer.
constexpr auto kLinger = std::chrono::seconds(2);
constexpr size_t kHeaderLimit = 16 * 1024;

HttpResponse Plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// The answer to a request the parser refused (Go's net/http texts), or nullopt when there is
// nobody to answer: the client closed, went quiet or reset the connection.
std::optional<HttpResponse> Refusal(beast::error_code ec, size_t max_body) {
  if (ec == http::error::body_limit) {
    HttpResponse r;
    r.status = 413;
    r.body = R"({"code":-400,"message":"body: over the limit of )" + std::to_string(max_body) +
             R"( bytes"})";
    return r;
  }
  if (ec == http::error::header_limit)
    return Plain(431, "431 Request Header Fields Too Large: over " + std::to_string(kHeaderLimit) +
                          " bytes");
  static const auto& parse_errors = http::make_error_code(http::error::bad_method).category();
  if (ec.category() != parse_errors || ec == http::error::end_of_stream ||
      ec == http::error::partial_message || ec == http::error::short_read)
    return std::nullopt;
  return Plain(400, "400 Bad Request: " + ec.message());
}

struct HttpStats {
  metrics::Counter* accept_errors;
  metrics::Counter* refused;
  metrics::SumGauge* connections;
  static HttpStats& Get() {
    static HttpStats s = [] {
      auto& r = metrics::Registry::Default();
      return HttpStats{
          r.NewCounter("goim_http_accept_errors_total",
                       "HTTP accepts that failed (e.g. out of descriptors), retried after 50 ms"),
          r.NewCounter("goim_http_refused_total",
                       "HTTP connections refused with 503: max connections reached"),
          r.NewSumGauge("goim_http_connections", "Open HTTP connections")};
    }();
    return s;
  }
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // conns: the server's count of open connections, taken by this one (null when refused).
  Session(tcp::socket sock, const HttpHandler& handler, const HttpServer::Options& opts,
          std::atomic<int>* conns)
      : stream_(std::move(sock)), handler_(handler), opts_(opts), conns_(conns) {}
  ~Session() {
    if (conns_) conns_->fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() { Read(); }
  // Past max_conns: a clear 503, then the close.
  void Refuse() {
    keep_alive_ = false;
    Write(Plain(503, "503 too many connections (limit " + std::to_string(opts_.max_conns) + ")"));
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(opts_.max_body);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(std::chrono::seconds(opts_.idle_timeout_sec));
    http::async_read(
        stream_, buf_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      if (auto r = Refusal(ec, opts_.max_body)) {
        keep_alive_ = false;
        Write(std::move(*r));
      }
      return;  // else closed, timed out or reset: the session ends with this handler
    }
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
                        if (ec) return;
                        if (!self->keep_alive_) return self->Linger();
                        self->Read();
                      });
  }

  // The last answer is written: send FIN, then drop what the client still sends until it
  // closes or kLinger passes. Closing with unread bytes would reset the connection, and a client
  // still sending (a large body) would fail before reading the answer.
  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLinger);
    Drain();
  }
  void Drain() {
    buf_.consume(buf_.size());
    stream_.async_read_some(buf_.prepare(16 * 1024),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) self->Drain();  // else EOF or kLinger passed: close
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler& handler_;
  const HttpServer::Options& opts_;
  std::atomic<int>* conns_;
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
  Acceptor(std::unique_ptr<tcp::acceptor> acc, const HttpHandler& h, const Options& o,
           std::atomic<int>& conns)
      : acc_(std::move(acc)), retry_(acc_->get_executor()), handler_(h), opts_(o), conns_(conns) {}
  void Accept() {
    acc_->async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acc_->is_open()) return;
      if (ec) return self->RetryLater(ec);
      s.set_option(tcp::no_delay(true), ec);
      if (self->opts_.max_conns > 0 &&
          self->conns_.load(std::memory_order_relaxed) >= self->opts_.max_conns) {
        HttpStats::Get().refused->Inc();
        LOG_EVERY_T(WARNING, 10) << "http: refusing connections past max_conns="
                                 << self->opts_.max_conns;
        std::make_shared<Session>(std::move(s), self->handler_, self->opts_, nullptr)->Refuse();
      } else {
        self->conns_.fetch_add(1, std::memory_order_relaxed);
        std::make_shared<Session>(std::move(s), self->handler_, self->opts_, &self->conns_)
            ->Start();
      }
      self->Accept();
    });
  }
  void Close() {
    asio::post(acc_->get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acc_->close(ec);
      self->retry_.cancel();
    });
  }

 private:
  // Out of descriptors (EMFILE) and the like: accepting again at once fails again at once, so
  // wait 50 ms (as the comet does); the connection waits in the backlog meanwhile.
  void RetryLater(boost::system::error_code ec) {
    HttpStats::Get().accept_errors->Inc();
    LOG_EVERY_T(WARNING, 1) << "http: accept error(" << ec.message() << "), retrying in 50 ms";
    retry_.expires_after(std::chrono::milliseconds(50));
    retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && self->acc_->is_open()) self->Accept();
    });
  }

  std::unique_ptr<tcp::acceptor> acc_;
  asio::steady_timer retry_;
  const HttpHandler& handler_;
  const Options& opts_;
  std::atomic<int>& conns_;
};

HttpServer::HttpServer(LoopPool& loops, HttpHandler handler, Options opts)
    : loops_(loops), handler_(std::move(handler)), opts_(opts) {
  HttpStats::Get().connections->Attach(this, [this] { return connections(); });
}

HttpServer::~HttpServer() { HttpStats::Get().connections->Detach(this); }

uint16_t HttpServer::Listen(const std::string& addr) {
  std::vector<asio::io_context*> ios;
  for (int i = 0; i < loops_.size(); ++i) ios.push_back(&loops_.Get(i));
  auto accs = ListenAll(ios, addr);
  port_ = accs.front()->local_endpoint().port();
  for (auto& a : accs) {
    acceptors_.push_back(std::make_shared<Acceptor>(std::move(a), handler_, opts_, conns_));
    acceptors_.back()->Accept();
  }
  return port_;
}

void HttpServer::Close() {
  for (auto& a : acceptors_) a->Close();
}

}  // namespace goim::net
