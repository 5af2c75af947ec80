// comet::LogicClient: comet's asynchronous client of goim.logic.Logic. Several logic addresses
// are balanced round-robin (goim: discovery + round_robin); every call has a deadline. Callbacks
// run on gRPC threads: callers post back to their loop. [thread-safe]
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/logic.grpc.pb.h"
#include "pkg/net/grpc_call.h"

namespace goim::comet {

class LogicClient {
 public:
  // At most max_inflight calls are in flight; the rest wait in a queue (a storm of connects must
  // not turn into thousands of concurrent RPCs, their memory and their deadlines).
  LogicClient(const std::vector<std::string>& addrs, std::chrono::milliseconds timeout,
              int max_inflight = 256);

  void Connect(const std::string& server, const std::string& cookie, const std::string& token,
               std::function<void(const grpc::Status&, goim::logic::ConnectReply&)> done);
  void Disconnect(int64_t mid, const std::string& key, const std::string& server);
  void Heartbeat(int64_t mid, const std::string& key, const std::string& server,
                 std::function<void(bool)> done);
  void RenewOnline(const goim::logic::OnlineReq& req,
                   std::function<void(const grpc::Status&, goim::logic::OnlineReply&)> done);
  // done(ok, reply body) runs on a gRPC thread once logic answered (or the call failed); the body
  // is logic's ReceiveReply.body (empty from goim's logic).
  void Receive(int64_t mid, const std::string& key, const std::string& room, int32_t ver,
               int32_t op, int32_t seq, const std::string& body,
               std::function<void(bool, std::string)> done);
  // A room's history for a connection being positioned in it (goim-cpp's History).
  void History(const std::string& room, const goim::logic::HistoryAsk& ask,
               std::function<void(const grpc::Status&, goim::logic::HistoryReply&)> done);
  // Waits (up to timeout) until no call is in flight or queued; for shutdown.
  bool WaitIdle(std::chrono::milliseconds timeout) { return calls_.WaitIdle(timeout); }

 private:
  using Async = class goim::logic::Logic::Stub::async;  // the callback-API half of the stub
  template <class Req, class Reply>
  void Call(net::AsyncMethod<Async, Req, Reply> method, std::type_identity_t<Req> req,
            std::type_identity_t<std::function<void(const grpc::Status&, Reply&)>> done);
  // Runs start now if a slot is free, else when one frees up.
  void Admit(std::function<void()> start);
  void Release();

  std::unique_ptr<goim::logic::Logic::Stub> stub_;
  std::chrono::milliseconds timeout_;
  net::InFlight calls_;  // calls admitted or queued whose done has not returned
  int max_inflight_;
  std::mutex mu_;
  int running_ = 0;
  std::deque<std::function<void()>> waiting_;
};

// The gRPC target for a list of addresses: one address as is, several as "ipv4:a,b" (they must
// then be IP literals).
std::string LogicTarget(const std::vector<std::string>& addrs);

}  // namespace goim::comet
