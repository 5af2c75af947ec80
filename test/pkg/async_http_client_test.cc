// net::AsyncHttpClient against an in-test backend (HttpBackend) and a raw TCP server that answers
// one request per connection (or garbage): keep-alive, deadlines, refusals, stale connections,
// the bounded queue and shutdown. Waits are on the callbacks, bounded by 10 s.
#include "pkg/net/async_http_client.h"

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "pkg/net/listen.h"
#include "test/support/http_backend.h"

namespace goim::net {
namespace {

using namespace std::chrono_literals;
using Failure = AsyncHttpClient::Failure;
using Response = AsyncHttpClient::Response;

// Spins until pred holds; false after 10 s.
template <class Pred>
bool Eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

HttpUrl Url(const std::string& s) {
  HttpUrl u;
  EXPECT_EQ(ParseHttpUrl(s, &u), "") << s;
  return u;
}

// Posts and returns a future of the response.
std::future<Response> PostAsync(AsyncHttpClient& c, const std::string& url, std::string body,
                                std::chrono::milliseconds timeout = 5s) {
  auto p = std::make_shared<std::promise<Response>>();
  auto f = p->get_future();
  c.Post(Url(url), std::move(body), "application/json", timeout,
         [p](Response r) { p->set_value(std::move(r)); });
  return f;
}

Response Get(std::future<Response>& f) {
  if (f.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within 10 s";
    return {};
  }
  return f.get();
}

Response PostWait(AsyncHttpClient& c, const std::string& url, std::string body,
                  std::chrono::milliseconds timeout = 5s) {
  auto f = PostAsync(c, url, std::move(body), timeout);
  return Get(f);
}

// Serves each connection one canned reply after reading one request (header and body), then
// closes it: a server that does not keep connections alive although it says nothing about it.
class RawServer {
 public:
  explicit RawServer(std::string reply) : reply_(std::move(reply)) {
    acceptor_ = Listen(io_, ParseEndpoint("127.0.0.1:0"), false);
    port_ = acceptor_->local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    stop_ = true;
    tcp::socket poke(io_);
    boost::system::error_code ec;
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  int served() const { return served_; }

 private:
  void Serve() {
    while (!stop_) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_->accept(s, ec);
      if (ec || stop_) return;
      std::string in;
      char buf[4096];
      size_t want = std::string::npos;
      while (want == std::string::npos || in.size() < want) {
        size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        in.append(buf, n);
        size_t end = in.find("\r\n\r\n");
        if (want == std::string::npos && end != std::string::npos) {
          size_t cl = in.find("Content-Length: ");
          want = end + 4 + (cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16)));
        }
      }
      asio::write(s, asio::buffer(reply_), ec);
      s.shutdown(tcp::socket::shutdown_send, ec);
      ++served_;
    }
  }
  std::string reply_;
  asio::io_context io_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
  std::thread thread_;
};

TEST(HttpUrl, ParsesHostPortAndTarget) {
  HttpUrl u;
  ASSERT_EQ(ParseHttpUrl("http://backend:8080/hooks/send?x=1", &u), "");
  EXPECT_EQ(u.host, "backend");
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.target, "/hooks/send?x=1");
  ASSERT_EQ(ParseHttpUrl("http://[::1]/", &u), "");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "80");
  ASSERT_EQ(ParseHttpUrl("http://h?q", &u), "");
  EXPECT_EQ(u.target, "/?q");
  EXPECT_NE(ParseHttpUrl("https://h/", &u), "");
  EXPECT_NE(ParseHttpUrl("ftp://h/", &u), "");
  EXPECT_NE(ParseHttpUrl("http:///x", &u), "");
  EXPECT_NE(ParseHttpUrl("http://h:0/", &u), "");
  EXPECT_NE(ParseHttpUrl("http://h:99999/", &u), "");
  EXPECT_NE(ParseHttpUrl("http://h:x/", &u), "");
}

TEST(AsyncHttpClient, PostsAndKeepsTheConnection) {
  testing::HttpBackend backend;
  backend.SetHandler([](const HttpRequest& req) {
    return testing::HttpBackend::Json(req.path + " got " + req.body);
  });
  AsyncHttpClient client({});
  Response a = PostWait(client, backend.Url("/a"), "one");
  EXPECT_EQ(a.failure, Failure::kNone) << a.error;
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "/a got one");
  Response b = PostWait(client, backend.Url("/b"), "two");
  EXPECT_EQ(b.body, "/b got two");
  EXPECT_EQ(backend.Connections(), 1) << "the second request did not reuse the connection";
  auto reqs = backend.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].Header("content-type"), "application/json");
}

TEST(AsyncHttpClient, ANonOkStatusIsAResponseNotAFailure) {
  testing::HttpBackend backend;
  backend.SetHandler([](const HttpRequest&) { return testing::HttpBackend::Json("no", 500); });
  AsyncHttpClient client({});
  Response r = PostWait(client, backend.Url("/"), "");
  EXPECT_EQ(r.failure, Failure::kNone);
  EXPECT_EQ(r.status, 500);
}

TEST(AsyncHttpClient, ABackendThatDoesNotAnswerTimesOutAtTheDeadline) {
  testing::HttpBackend backend;
  backend.SetHandler([](const HttpRequest&) { return std::nullopt; });  // hold
  AsyncHttpClient client({});
  Response r = PostWait(client, backend.Url("/"), "x", 100ms);
  EXPECT_EQ(r.failure, Failure::kTimeout);
  EXPECT_EQ(r.status, 0);
  // The late answer goes nowhere; the client goes on with a new connection.
  backend.SetHandler([](const HttpRequest&) { return testing::HttpBackend::Json("late ok"); });
  backend.ReleaseHeld(testing::HttpBackend::Json("too late"));
  Response next = PostWait(client, backend.Url("/"), "y");
  EXPECT_EQ(next.failure, Failure::kNone) << next.error;
  EXPECT_EQ(next.body, "late ok");
}

TEST(AsyncHttpClient, NobodyListeningIsAConnectFailure) {
  uint16_t port;
  {
    asio::io_context io;
    auto a = Listen(io, ParseEndpoint("127.0.0.1:0"), false);
    port = a->local_endpoint().port();
  }  // closed: nothing listens there now
  AsyncHttpClient client({});
  Response r = PostWait(client, "http://127.0.0.1:" + std::to_string(port) + "/", "x");
  EXPECT_EQ(r.failure, Failure::kConnect) << r.error;
}

TEST(AsyncHttpClient, GarbageInsteadOfHttpIsAnIoFailure) {
  RawServer raw("this is not http\r\n\r\n");
  AsyncHttpClient client({});
  Response r = PostWait(client, raw.Url(), "x");
  EXPECT_EQ(r.failure, Failure::kIo) << r.error;
}

// The server closes every connection after its answer, without saying so (no Connection: close):
// each next request must still get through, on a new connection.
TEST(AsyncHttpClient, AConnectionTheServerClosedIsNotReused) {
  RawServer raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  AsyncHttpClient client({});
  for (int i = 0; i < 5; ++i) {
    Response r = PostWait(client, raw.Url(), "req " + std::to_string(i));
    EXPECT_EQ(r.failure, Failure::kNone) << i << ": " << r.error;
    EXPECT_EQ(r.body, "ok") << i;
  }
  EXPECT_EQ(raw.served(), 5);
}

TEST(AsyncHttpClient, RequestsBeyondTheConnectionsWaitAndBeyondTheQueueFail) {
  testing::HttpBackend backend;
  backend.SetHandler([](const HttpRequest&) { return std::nullopt; });
  AsyncHttpClient::Options o;
  o.max_conns = 1;
  o.max_queue = 1;
  AsyncHttpClient client(o);
  auto first = PostAsync(client, backend.Url("/"), "1");
  ASSERT_TRUE(Eventually([&] { return backend.Held() == 1; }));
  auto second = PostAsync(client, backend.Url("/"), "2");  // waits for the one connection
  Response third = PostWait(client, backend.Url("/"), "3");
  EXPECT_EQ(third.failure, Failure::kOverload);
  backend.SetHandler([](const HttpRequest& req) { return testing::HttpBackend::Json(req.body); });
  backend.ReleaseHeld(testing::HttpBackend::Json("1"));
  EXPECT_EQ(Get(first).body, "1");
  Response r2 = Get(second);
  EXPECT_EQ(r2.failure, Failure::kNone) << r2.error;
  EXPECT_EQ(r2.body, "2");
}

TEST(AsyncHttpClient, StopFailsWhatIsPendingAndLaterRequests) {
  testing::HttpBackend backend;
  backend.SetHandler([](const HttpRequest&) { return std::nullopt; });
  AsyncHttpClient client({});
  auto pending = PostAsync(client, backend.Url("/"), "x", 10s);
  ASSERT_TRUE(Eventually([&] { return backend.Held() == 1; }));
  client.Stop();
  EXPECT_EQ(Get(pending).failure, Failure::kShutdown);
  Response after = PostWait(client, backend.Url("/"), "y");
  EXPECT_EQ(after.failure, Failure::kShutdown);
}

}  // namespace
}  // namespace goim::net
