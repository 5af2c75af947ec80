// net::AsyncHttpClient: an asynchronous HTTP/1.1 client for calls to an operator's backend (logic's
// hooks) that must never block the caller's thread. It runs on one event loop thread of its own.
// Connections are kept alive and pooled per host:port: at most max_conns are open, an idle one is
// closed when the server closes it (it is watched while idle) or after idle_timeout; a request
// that finds every connection busy waits in a bounded queue. One deadline per request covers the
// wait, the name lookup, the connect, the write and the read. Plain http:// only. [thread-safe]
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "pkg/net/in_flight.h"
#include "pkg/net/loop_pool.h"

namespace goim::net {

struct HttpUrl {
  std::string host;  // a name or an IP literal (without the brackets of an IPv6 one)
  std::string port;  // "80" when the URL names none
  std::string target = "/";
};

// Parses "http://host[:port][/path][?query]"; "" or what is wrong with url.
std::string ParseHttpUrl(const std::string& url, HttpUrl* out);

class AsyncHttpClient {
 public:
  struct Options {
    int max_conns = 32;       // open connections at most, over every host
    size_t max_queue = 3200;  // requests waiting for a connection at most; more fail (kOverload)
    std::chrono::milliseconds idle_timeout{30000};  // an idle connection older is not reused
    size_t max_response = 1 << 20;                  // larger response bodies fail (kIo)
    const char* name = "http-client";               // the loop thread's name
  };
  // Why a request got no response. kNone: it got one (any status).
  enum class Failure { kNone, kTimeout, kConnect, kIo, kOverload, kShutdown };
  struct Response {
    Failure failure = Failure::kNone;
    int status = 0;
    std::string body;
    std::string error;  // what failed, for logs
  };
  using Done = std::function<void(Response)>;

  explicit AsyncHttpClient(Options opts);
  // Stop()s.
  ~AsyncHttpClient();
  AsyncHttpClient(const AsyncHttpClient&) = delete;
  AsyncHttpClient& operator=(const AsyncHttpClient&) = delete;

  // POSTs body to url; done runs once, on the client's thread, with the response or the failure.
  // A request sent on a kept-alive connection that the server had closed meanwhile is sent once
  // more on a new connection (nothing was answered on the old one). [thread-safe]
  void Post(const HttpUrl& url, std::string body, const std::string& content_type,
            std::chrono::milliseconds timeout, Done done);
  // Fails every pending request with kShutdown, closes the connections and joins the thread;
  // later requests fail at once. Idempotent. [any thread but the client's]
  void Stop();

  static const char* FailureName(Failure f);

 private:
  struct Conn;
  struct Call;
  using CallPtr = std::shared_ptr<Call>;
  using ConnPtr = std::shared_ptr<Conn>;

  // [loop thread only], all of them
  void Submit(const CallPtr& c);
  void Dispatch(const CallPtr& c);
  void Connect(const CallPtr& c);
  void Write(const CallPtr& c);
  void Read(const CallPtr& c);
  // The pending operation of c ended with ec: a timed-out or finished call only lets go of its
  // connection; a stale kept-alive connection is retried once; anything else fails c as kind.
  void OnError(const CallPtr& c, Failure kind, const std::string& what);
  void Finish(const CallPtr& c, Response r);
  void OnDeadline(const CallPtr& c);
  void Release(const ConnPtr& conn);
  void Discard(const ConnPtr& conn);
  ConnPtr TakeIdle(const std::string& origin);
  bool EvictIdle();
  void Pump();
  void Shutdown();

  Options opts_;
  LoopPool loop_;  // first: destroyed last, after every socket and timer below
  asio::io_context& io_;
  InFlight calls_;  // Post()ed and not yet done
  std::mutex mu_;
  bool stopped_ = false;  // under mu_: Stop() was called, Post() fails at once
  // loop thread state
  bool stopping_ = false;
  int open_ = 0;  // connections open or being opened
  std::deque<CallPtr> queue_;
  std::set<CallPtr> active_;  // calls with an operation in flight
  std::multimap<std::string, ConnPtr> idle_;
};

}  // namespace goim::net
