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
