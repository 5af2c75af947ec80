#include "pkg/net/async_http_client.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace goim::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

std::string ParseHttpUrl(const std::string& url, HttpUrl* out) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) return "https is not supported (plain http:// only)";
  if (url.rfind(scheme, 0) != 0) return "'" + url + "' does not start with http://";
  std::string rest = url.substr(scheme.size());
  size_t end = rest.find_first_of("/?");
  std::string authority = rest.substr(0, end);
  out->target = end == std::string::npos ? "/" : rest.substr(end);
  if (out->target.front() == '?') out->target.insert(0, "/");
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return "'" + url + "': unclosed [ in the host";
    out->host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "'" + url + "': junk after the host";
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    out->host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (out->host.empty()) return "'" + url + "' names no host";
  if (port.empty()) port = "80";
  int n = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc() || p != port.data() + port.size() || n < 1 || n > 65535)
    return "'" + url + "': bad port '" + port + "'";
  out->port = port;
  return "";
}

const char* AsyncHttpClient::FailureName(Failure f) {
  switch (f) {
    case Failure::kNone:
      return "none";
    case Failure::kTimeout:
      return "timeout";
    case Failure::kConnect:
      return "connect";
    case Failure::kIo:
      return "io";
    case Failure::kOverload:
      return "overload";
    case Failure::kShutdown:
      return "shutdown";
  }
  return "?";
}

struct AsyncHttpClient::Conn {
  explicit Conn(asio::io_context& io) : sock(io) {}
  tcp::socket sock;
  beast::flat_buffer buf;
  std::string origin;
  uint64_t gen = 0;  // bumped when taken from the idle pool: an older idle watch is stale
  Clock::time_point idle_since;
  bool closed = false;
};

struct AsyncHttpClient::Call {
  explicit Call(asio::io_context& io) : timer(io) {}
  HttpUrl url;
  std::string origin;  // host:port, the pool's key
  http::request<http::string_body> req;
  std::optional<http::response_parser<http::string_body>> parser;
  Done done;
  std::chrono::milliseconds timeout{};
  asio::steady_timer timer;
  ConnPtr conn;  // while an operation on it is in flight
  std::unique_ptr<tcp::resolver> resolver;
  bool queued = false;
  bool reused = false;   // conn came from the idle pool
  bool retried = false;  // once on a new connection after a stale kept-alive one
  bool finished = false;
};

AsyncHttpClient::AsyncHttpClient(Options opts)
    : opts_(opts), loop_(1, opts.name), io_(loop_.Get(0)) {
  loop_.Start();
}

AsyncHttpClient::~AsyncHttpClient() { Stop(); }

void AsyncHttpClient::Post(const HttpUrl& url, std::string body, const std::string& content_type,
                           std::chrono::milliseconds timeout, Done done) {
  bool stopped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped = stopped_;
    if (!stopped) calls_.Begin();
  }
  if (stopped) {
    Response r;
    r.failure = Failure::kShutdown;
    r.error = "client stopped";
    return done(std::move(r));
  }
  auto c = std::make_shared<Call>(io_);
  c->url = url;
  c->origin = url.host + ":" + url.port;
  c->timeout = timeout;
  c->done = std::move(done);
  c->req = {http::verb::post, url.target, 11};
  bool v6 = url.host.find(':') != std::string::npos;
  c->req.set(http::field::host, (v6 ? "[" + url.host + "]" : url.host) + ":" + url.port);
  c->req.set(http::field::user_agent, "goim-cpp");
  c->req.set(http::field::content_type, content_type);
  c->req.keep_alive(true);
  c->req.body() = std::move(body);
  c->req.prepare_payload();
  asio::post(io_, [this, c] { Submit(c); });
}

void AsyncHttpClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  asio::post(io_, [this] { Shutdown(); });
  calls_.WaitIdle();  // every done has run
  loop_.Stop();       // runs what the closed sockets still complete
}

void AsyncHttpClient::Submit(const CallPtr& c) {
  if (stopping_) return Finish(c, {Failure::kShutdown, 0, "", "client stopped"});
  c->timer.expires_after(c->timeout);
  c->timer.async_wait([this, c](const error_code& ec) {
    if (!ec) OnDeadline(c);
  });
  Dispatch(c);
}

void AsyncHttpClient::Dispatch(const CallPtr& c) {
  if (ConnPtr conn = TakeIdle(c->origin)) {
    c->conn = std::move(conn);
    c->reused = true;
    active_.insert(c);
    return Write(c);
  }
  if (open_ < opts_.max_conns || EvictIdle()) {
    ++open_;
    c->conn = std::make_shared<Conn>(io_);
    c->conn->origin = c->origin;
    c->reused = false;
    active_.insert(c);
    return Connect(c);
  }
  if (queue_.size() >= opts_.max_queue)
    return Finish(c, {Failure::kOverload, 0, "", "too many requests waiting for a connection"});
  c->queued = true;
  queue_.push_back(c);
}

void AsyncHttpClient::Connect(const CallPtr& c) {
  auto connected = [this, c](const error_code& ec) {
    if (ec || c->finished) return OnError(c, Failure::kConnect, "connect: " + ec.message());
    Write(c);
  };
  error_code bad;
  asio::ip::address ip = asio::ip::make_address(c->url.host, bad);
  if (!bad) {
    uint16_t port = 80;
    std::from_chars(c->url.port.data(), c->url.port.data() + c->url.port.size(), port);
    c->conn->sock.async_connect(tcp::endpoint(ip, port), connected);
    return;
  }
  // A name: looked up each time (asio resolves on a thread of its own, never on this loop).
  c->resolver = std::make_unique<tcp::resolver>(io_);
  c->resolver->async_resolve(
      c->url.host, c->url.port,
      [this, c, connected](const error_code& ec, const tcp::resolver::results_type& results) {
        if (ec || c->finished)
          return OnError(c, Failure::kConnect, "resolve " + c->url.host + ": " + ec.message());
        asio::async_connect(
            c->conn->sock, results,
            [connected](const error_code& ec, const tcp::endpoint&) { connected(ec); });
      });
}

void AsyncHttpClient::Write(const CallPtr& c) {
  http::async_write(c->conn->sock, c->req, [this, c](const error_code& ec, size_t) {
    if (ec || c->finished) return OnError(c, Failure::kIo, "write: " + ec.message());
    Read(c);
  });
}

void AsyncHttpClient::Read(const CallPtr& c) {
  c->parser.emplace();
  c->parser->body_limit(opts_.max_response);
  http::async_read(c->conn->sock, c->conn->buf, *c->parser,
                   [this, c](const error_code& ec, size_t) {
                     if (ec || c->finished)
                       return OnError(c, Failure::kIo, "read: " + ec.message());
                     auto& res = c->parser->get();
                     Response r;
                     r.status = static_cast<int>(res.result_int());
                     r.body = std::move(res.body());
                     bool keep = res.keep_alive();
                     ConnPtr conn = std::move(c->conn);
                     active_.erase(c);
                     if (keep)
                       Release(conn);
                     else
                       Discard(conn);
                     Finish(c, std::move(r));
                     Pump();
                   });
}

void AsyncHttpClient::OnError(const CallPtr& c, Failure kind, const std::string& what) {
  ConnPtr conn = std::move(c->conn);
  active_.erase(c);
  if (conn) Discard(conn);
  if (!c->finished) {
    if (stopping_) {
      Finish(c, {Failure::kShutdown, 0, "", "client stopped"});
    } else if (kind == Failure::kIo && c->reused && !c->retried) {
      // A kept-alive connection the server closed just before this request went out (the idle
      // watch had not seen it yet): nothing was answered on it, so it goes once more, anew.
      c->retried = true;
      Dispatch(c);
    } else {
      Finish(c, {kind, 0, "", what});
    }
  }
  Pump();
}

void AsyncHttpClient::Finish(const CallPtr& c, Response r) {
  if (c->finished) return;
  c->finished = true;
  c->timer.cancel();
  if (c->queued) {
    queue_.erase(std::find(queue_.begin(), queue_.end(), c));
    c->queued = false;
  }
  Done done = std::move(c->done);
  done(std::move(r));
  calls_.End();
}

// Answers at the deadline; the operation in flight is aborted and its handler lets go of the
// connection.
void AsyncHttpClient::OnDeadline(const CallPtr& c) {
  if (c->finished) return;
  bool in_flight = active_.count(c) > 0;
  Finish(c, {Failure::kTimeout, 0, "",
             "no answer within " + std::to_string(c->timeout.count()) + " ms"});
  if (!in_flight) return;
  if (c->resolver) c->resolver->cancel();
  error_code ignored;
  if (c->conn) c->conn->sock.close(ignored);
}

void AsyncHttpClient::Release(const ConnPtr& conn) {
  if (stopping_) return Discard(conn);
  conn->idle_since = Clock::now();
  uint64_t gen = ++conn->gen;
  idle_.emplace(conn->origin, conn);
  // Readable while idle means the server closed it (or sent what nobody asked for): gone.
  conn->sock.async_wait(tcp::socket::wait_read, [this, conn, gen](const error_code&) {
    if (conn->gen != gen || conn->closed) return;  // taken for a request, or shut down
    auto [it, end] = idle_.equal_range(conn->origin);
    for (; it != end; ++it) {
      if (it->second == conn) {
        idle_.erase(it);
        break;
      }
    }
    Discard(conn);
    Pump();
  });
}

void AsyncHttpClient::Discard(const ConnPtr& conn) {
  if (conn->closed) return;
  conn->closed = true;
  error_code ignored;
  conn->sock.close(ignored);
  --open_;
}

AsyncHttpClient::ConnPtr AsyncHttpClient::TakeIdle(const std::string& origin) {
  auto now = Clock::now();
  for (auto [it, end] = idle_.equal_range(origin); it != end;) {
    ConnPtr conn = it->second;
    it = idle_.erase(it);
    ++conn->gen;
    error_code ignored;
    conn->sock.cancel(ignored);  // the idle watch
    if (now - conn->idle_since > opts_.idle_timeout) {
      Discard(conn);
      continue;
    }
    return conn;
  }
  return nullptr;
}

bool AsyncHttpClient::EvictIdle() {
  if (idle_.empty()) return false;
  ConnPtr conn = idle_.begin()->second;
  idle_.erase(idle_.begin());
  ++conn->gen;
  Discard(conn);
  return true;
}

void AsyncHttpClient::Pump() {
  while (!queue_.empty() && !stopping_) {
    const CallPtr& front = queue_.front();
    if (idle_.count(front->origin) == 0 && open_ >= opts_.max_conns && idle_.empty()) return;
    CallPtr c = front;
    queue_.pop_front();
    c->queued = false;
    Dispatch(c);
  }
}

void AsyncHttpClient::Shutdown() {
  stopping_ = true;
  Response stopped{Failure::kShutdown, 0, "", "client stopped"};
  for (const CallPtr& c : std::vector<CallPtr>(queue_.begin(), queue_.end())) Finish(c, stopped);
  for (const CallPtr& c : std::vector<CallPtr>(active_.begin(), active_.end())) {
    Finish(c, stopped);
    if (c->resolver) c->resolver->cancel();
    error_code ignored;
    if (c->conn) c->conn->sock.close(ignored);
  }
  for (auto& [origin, conn] : idle_) Discard(conn);
  idle_.clear();
}

}  // namespace goim::net
