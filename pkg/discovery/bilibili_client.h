// discovery::BilibiliClient: calls to bilibili discovery's HTTP API (goim's `discovery.nodes`) as
// goim's discovery SDK makes them: form-encoded POSTs (register, renew, cancel) and GETs with a
// query (fetch, polls), each answered HTTP 200 with {"code":N,"data":...}; code 0 is success,
// -304 nothing changed, -404 no such instance or application. One node at a time: a call that
// gets no answer moves the client on to the next node (the SDK's switchNode). Synchronous: its
// callers are the registration and watch threads. One call at a time per client; Cancel, from any
// thread, aborts the call in flight and fails every later one. [thread-safe as noted]
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pkg/json/json.h"

namespace goim::discovery {

using Params = std::vector<std::pair<std::string, std::string>>;  // repeated names allowed

struct BilibiliReply {
  bool answered = false;  // the node answered HTTP 200 with a JSON envelope
  int64_t code = 0;       // the envelope's code, when answered
  std::string data;       // the envelope's data member as JSON text ("null" when absent)
  std::string error;      // why not answered
  std::string node;       // the node asked
  // The envelope's error["-404"] (polls: the applications asked for that have no instance).
  std::vector<std::string> missing;
};

class BilibiliClient {
 public:
  explicit BilibiliClient(std::vector<std::string> nodes);
  ~BilibiliClient();

  // POST path with params as an application/x-www-form-urlencoded body. [one caller at a time]
  BilibiliReply Post(const std::string& path, const Params& params,
                     std::chrono::milliseconds timeout);
  // GET path?params. [one caller at a time]
  BilibiliReply Get(const std::string& path, const Params& params,
                    std::chrono::milliseconds timeout);
  // Aborts the call in flight; this and every later call return unanswered. [thread-safe]
  void Cancel();
  // For messages: the nodes as configured, comma-separated.
  std::string nodes() const;
  size_t node_count() const { return nodes_.size(); }

 private:
  struct Call;
  BilibiliReply Do(const std::string& method, const std::string& path, const Params& params,
                   std::chrono::milliseconds timeout);

  const std::vector<std::string> nodes_;
  std::atomic<size_t> next_{0};  // the node to ask; moves on when one does not answer
  std::mutex mu_;
  bool cancelled_ = false;  // under mu_
  Call* call_ = nullptr;    // under mu_: the call in flight, for Cancel
};

// k=v&k=v with both percent-encoded.
std::string EncodeForm(const Params& params);

}  // namespace goim::discovery
