#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pkg/metrics/metrics.h"
#include "pkg/net/http_server.h"
#include "pkg/net/listen.h"
#include "pkg/net/loop_pool.h"
#include "pkg/net/url.h"

namespace goim::net {
namespace {

using namespace std::chrono_literals;

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

double Metric(const std::string& name) {
  double v = metrics::Registry::Default().Get(name);
  return v < 0 ? 0 : v;
}

// A blocking client socket speaking raw bytes (the socket is made before anything else, so a
// test can run the process out of descriptors afterwards).
class RawClient {
 public:
  RawClient() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{10, 0};  // a test never waits forever
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  bool Connect(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  // Sends all of data; false on an error (e.g. the peer reset the connection).
  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // One response (headers and Content-Length body), or what came before EOF or an error.
  std::string Response() {
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0, cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) len = std::stoul(buf_.substr(cl + 16));
        if (buf_.size() >= end + 4 + len) {
          std::string r = buf_.substr(0, end + 4 + len);
          buf_.erase(0, r.size());
          return r;
        }
      }
      if (!Fill()) return std::exchange(buf_, "");
    }
  }
  // True when the server has closed its side in order (EOF, not a reset).
  bool ClosedInOrder() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool Fill() {
    char b[4096];
    ssize_t n = ::recv(fd_, b, sizeof(b), 0);
    if (n <= 0) return false;
    buf_.append(b, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string buf_;
};

const char kGet[] = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServer::Options opts) {
    server_ = std::make_unique<HttpServer>(
        loops_,
        [](HttpRequest&& req, HttpReply reply) {
          HttpResponse r;
          r.body = "ok " + req.path;
          reply(std::move(r));
        },
        opts);
    port_ = server_->Listen("127.0.0.1:0");
    loops_.Start();
  }
  void TearDown() override {
    if (server_) server_->Close();
    loops_.Stop();
  }

  LoopPool loops_{1, "http-test"};
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

// Out of descriptors, accept fails at once for as long as the connection waits in the backlog:
// the acceptor backs off 50 ms per failure (logic burned a core retrying), and serves the
// connection once descriptors are free again.
TEST_F(HttpServerTest, AcceptBacksOffWhileOutOfDescriptors) {
  Start({});
  RawClient c;
  const double base = Metric("goim_http_accept_errors_total");
  rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  int lowest_free = ::dup(0);
  ::close(lowest_free);
  rlimit none = old;
  none.rlim_cur = static_cast<rlim_t>(lowest_free);  // the next descriptor is over the limit
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &none), 0);
  auto t0 = std::chrono::steady_clock::now();
  bool connected = c.Connect(port_);  // completes in the kernel's backlog
  bool failed = Eventually([&] { return Metric("goim_http_accept_errors_total") >= base + 3; });
  auto elapsed = std::chrono::steady_clock::now() - t0;
  double errors = Metric("goim_http_accept_errors_total") - base;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  ASSERT_TRUE(connected);
  ASSERT_TRUE(failed);
  // At most one attempt per 50 ms (load only makes attempts rarer).
  EXPECT_LE(errors, static_cast<double>(elapsed / 50ms) + 2) << "accept spun";
  ASSERT_TRUE(c.Send(kGet));
  EXPECT_EQ(c.Response().substr(0, 12), "HTTP/1.1 200");
}

// Past max_conns a connection gets a clear 503 and an orderly close, counted; a slot freed by a
// client that leaves is taken by the next one.
TEST_F(HttpServerTest, ConnectionsPastMaxConnsAreRefusedWith503) {
  HttpServer::Options opts;
  opts.max_conns = 2;
  Start(opts);
  const double refused = Metric("goim_http_refused_total");
  auto a = std::make_unique<RawClient>();
  RawClient b, over;
  for (RawClient* c : {a.get(), &b}) {
    ASSERT_TRUE(c->Connect(port_));
    ASSERT_TRUE(c->Send(kGet));
    ASSERT_EQ(c->Response().substr(0, 12), "HTTP/1.1 200");
  }
  EXPECT_EQ(server_->connections(), 2);
  ASSERT_TRUE(over.Connect(port_));
  over.Send(kGet);
  std::string r = over.Response();
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 503") << r;
  EXPECT_NE(r.find("too many connections (limit 2)"), std::string::npos) << r;
  EXPECT_TRUE(over.ClosedInOrder());
  EXPECT_EQ(Metric("goim_http_refused_total"), refused + 1);
  a.reset();  // a client leaves: its slot frees up
  ASSERT_TRUE(Eventually([&] { return server_->connections() == 1; }));
  RawClient next;
  ASSERT_TRUE(next.Connect(port_));
  ASSERT_TRUE(next.Send(kGet));
  EXPECT_EQ(next.Response().substr(0, 12), "HTTP/1.1 200");
}

// Stop lets each loop run what is ready on its own thread: work queued before Stop, the aborted
// completion of I/O cancelled while stopping and what those handlers post; I/O left open is
// abandoned rather than waited for.
TEST(LoopPool, StopDrainsQueuedWorkAndAbortedIo) {
  LoopPool pool(1, "t");
  asio::io_context& io = pool.Get(0);
  asio::steady_timer cancelled(io), open(io);
  std::atomic<int> ran{0};
  std::atomic<bool> entered{false}, release{false}, aborted{false}, on_loop{true};
  pool.Start();
  const std::thread::id caller = std::this_thread::get_id();
  asio::post(io, [&] {
    cancelled.expires_after(std::chrono::hours(1));
    cancelled.async_wait(
        [&](boost::system::error_code ec) { aborted = ec == asio::error::operation_aborted; });
    open.expires_after(std::chrono::hours(1));
    open.async_wait([](boost::system::error_code) {});
    entered = true;
    while (!release) std::this_thread::yield();
    cancelled.cancel();
    asio::post(io, [&] {
      ++ran;
      asio::post(io, [&] { ++ran; });
    });
  });
  while (!entered) std::this_thread::yield();
  // The loop is held: these queue behind it, and it is let go once Stop has stopped it.
  for (int i = 0; i < 100; ++i) {
    asio::post(io, [&] {
      ++ran;
      if (std::this_thread::get_id() == caller) on_loop = false;
    });
  }
  std::thread releaser([&] {
    while (!io.stopped()) std::this_thread::yield();
    release = true;
  });
  pool.Stop();
  releaser.join();
  EXPECT_EQ(ran.load(), 102);
  EXPECT_TRUE(aborted.load());
  EXPECT_TRUE(on_loop.load());
}

// A header block over the limit gets 431 and garbage gets 400, each before an orderly close
// (the connection was dropped without a status).
TEST_F(HttpServerTest, BadHeadersGetAStatusBeforeTheClose) {
  Start({});
  RawClient big, junk, method;
  ASSERT_TRUE(big.Connect(port_));
  big.Send("GET /x HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  std::string r = big.Response();
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 431") << r;
  EXPECT_TRUE(big.ClosedInOrder());
  ASSERT_TRUE(junk.Connect(port_));
  junk.Send("NOT HTTP AT ALL\r\n\r\n");
  r = junk.Response();
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 400") << r;
  EXPECT_TRUE(junk.ClosedInOrder());
  ASSERT_TRUE(method.Connect(port_));
  method.Send("G\x01T /x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(method.Response().substr(0, 12), "HTTP/1.1 400");
}

// A body over max_body gets 413, and the client reads it: the server stops sending, drains what
// the client still sends and closes in order, instead of closing on unread bytes (a reset that
// loses the response).
TEST_F(HttpServerTest, BodyOverTheLimitGets413ThatReachesTheClient) {
  HttpServer::Options opts;
  opts.max_body = 1024;
  Start(opts);
  RawClient c;
  ASSERT_TRUE(c.Connect(port_));
  const size_t body = 32 << 20;  // past what the socket buffers of both ends hold
  bool sent = c.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body) +
                     "\r\n\r\n" + std::string(body, 'b'));
  EXPECT_TRUE(sent);
  std::string r = c.Response();
  EXPECT_EQ(r.substr(0, 12), "HTTP/1.1 413") << r;
  EXPECT_NE(r.find("over the limit of 1024 bytes"), std::string::npos) << r;
  EXPECT_TRUE(c.ClosedInOrder());
}

TEST(Url, QueryRepeatedAndEscaped) {
  std::string bad;
  auto q = ParseQuery("mids=1&mids=2&keys=a%2Cb&x=hello+world&empty=&broken=%zz", &bad);
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"mids", "2"}));
  EXPECT_EQ(q[2].second, "a,b");
  EXPECT_EQ(q[3].second, "hello world");
  EXPECT_EQ(q[4].second, "");
  EXPECT_EQ(bad, "broken=%zz");
  EXPECT_EQ(PercentEncode("live://1 a"), "live%3A%2F%2F1%20a");
  EXPECT_FALSE(PercentDecode("%4").has_value());
  // Values go into protobuf strings: bytes that are not UTF-8 become U+FFFD, UTF-8 stays.
  q = ParseQuery("room=%FF1&rooms=%E6%88%BF");
  EXPECT_EQ(q[0].second,
            "\xEF\xBF\xBD"
            "1");
  EXPECT_EQ(q[1].second, "\xE6\x88\xBF");
}

// The acceptors of one process share a port through SO_REUSEPORT; a port another process (here
// another socket) listens on is refused rather than shared.
TEST(Listen, APortListenedOnElsewhereIsRefused) {
  asio::io_context a, b;
  std::vector<asio::io_context*> ios{&a, &b};
  auto first = ListenAll(ios, "127.0.0.1:0");
  ASSERT_EQ(first.size(), 2u);
  std::string taken = "127.0.0.1:" + std::to_string(first[0]->local_endpoint().port());
  EXPECT_THROW(ListenAll(ios, taken), boost::system::system_error);
  auto plain = Listen(a, ParseEndpoint("127.0.0.1:0"), false);
  EXPECT_THROW(ListenAll(ios, "127.0.0.1:" + std::to_string(plain->local_endpoint().port())),
               boost::system::system_error);
}

TEST(Listen, ParsesGoimAddresses) {
  EXPECT_EQ(ToString(ParseEndpoint(":3101")), "0.0.0.0:3101");
  EXPECT_EQ(ToString(ParseEndpoint("127.0.0.1:0")), "127.0.0.1:0");
  EXPECT_EQ(ToString(ParseEndpoint("[::1]:80")), "[::1]:80");
  EXPECT_THROW(ParseEndpoint("3101"), std::invalid_argument);
  EXPECT_THROW(ParseEndpoint("1.2.3.4:99999"), std::invalid_argument);
  EXPECT_THROW(ParseEndpoint("nohost.example:1"), std::invalid_argument);
}

}  // namespace
}  // namespace goim::net
