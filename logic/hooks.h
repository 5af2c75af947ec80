// logic's backend hooks: HTTP calls to the operator's backend (README "The send path").
//
// A hook POSTs a JSON object to its url and expects status 200 with a JSON object holding a
// boolean "allow". Anything else fails the call, by kind: timeout (no answer within the hook's
// timeout), connect (no connection), io (the connection broke, or the answer was not HTTP),
// overload (more requests waiting for a connection than 100 x maxConns), shutdown, status (not
// 200), bad_answer (no boolean "allow", or a field of the wrong type). Every call is counted with
// its latency (goim_logic_hook_duration_microseconds_sum/_count{hook}), every failure by kind
// (goim_logic_hook_failures_total{hook,kind}), every answer (goim_logic_hook_answers_total); what
// a failure means is the hook's onFailure, applied by the caller. Calls never block the caller:
// the answer (or failure) comes back on the hook's own thread.
//
// Connect hook (auth.hook): {"server":..,"cookie":..,"token":".."} -> {"allow":true,"mid":..,
//   "key":..,"room_id":..,"accepts":[..]} (goim's auth JSON, read as goim reads a token) or
//   {"allow":false,"message":".."}.
// Send hook (send.hook): {"mid":..,"key":..,"room":..,"body":".."} -> {"allow":true} (pushed as
//   is), {"allow":true,"body":".."} (this is pushed instead) or {"allow":false,"message":".."}.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "logic/auth.h"
#include "logic/config.h"

namespace goim::logic {

class HookCaller;

struct ConnectVerdict {
  enum Kind { kAccept, kRefuse, kFailed } kind = kFailed;
  AuthToken token;      // kAccept: who the backend says the client is
  std::string message;  // kRefuse: the backend's reason; kFailed: what failed
};

class ConnectHook {
 public:
  explicit ConnectHook(const Config::Hook& cfg);
  ~ConnectHook();
  // done runs once, on the hook's thread (or at once after Stop). [thread-safe]
  void Ask(const std::string& server, const std::string& cookie, const std::string& token,
           std::function<void(ConnectVerdict)> done);
  // Fails what is pending; waits until every done ran. Idempotent.
  void Stop();

 private:
  std::unique_ptr<HookCaller> caller_;
};

struct SendVerdict {
  enum Kind { kAllow, kDeny, kFailed } kind = kFailed;
  bool rewritten = false;
  std::string body;     // kAllow and rewritten: what to push instead (valid UTF-8, not empty)
  std::string message;  // kDeny: the backend's reason; kFailed: what failed
};

class SendHook {
 public:
  explicit SendHook(const Config::Hook& cfg);
  ~SendHook();
  // done runs once, on the hook's thread (or at once after Stop). [thread-safe]
  void Ask(int64_t mid, const std::string& key, const std::string& room, const std::string& body,
           std::function<void(SendVerdict)> done);
  void Stop();

 private:
  std::unique_ptr<HookCaller> caller_;
};

}  // namespace goim::logic
