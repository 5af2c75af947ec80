// logic::RouterClient: logic's side of the router cluster. Places each mapping with ketama (a
// key's mapping on ketama(key), a mid's on ketama(mid), a comet's online report on
// ketama(server)), batches per node, calls the nodes in parallel over gRPC with a deadline on
// every call, and reports failures naming the node. Callbacks run on gRPC threads. [thread-safe]
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/router.grpc.pb.h"
#include "pkg/hash/ketama.h"
#include "pkg/net/grpc_call.h"

namespace goim::logic {

class RouterClient {
 public:
  // error is "" on success, else "router <name> (<addr>): <grpc status>".
  using Done = std::function<void(const std::string& error)>;
  using SessionsDone = std::function<void(const std::string& error, std::vector<router::Session>)>;
  using OnlineDone =
      std::function<void(const std::string& error, std::vector<router::ServerOnline>)>;

  RouterClient(const std::map<std::string, std::string>& nodes, std::chrono::milliseconds timeout);
  // Waits for the calls in flight (their callbacks use the nodes); a callback must therefore not
  // destroy this client.
  ~RouterClient();

  struct PutResult {
    int existed = 0;                     // entries that were already there (renewed)
    std::vector<router::Session> moved;  // the key pointed at another comet (server) before
  };
  // Writes (or renews) a connection's mappings.
  void Put(const router::Session& s, std::function<void(const std::string&, PutResult)> done);
  // Deletes a connection's mappings while they still point at s.server.
  void Del(const router::Session& s, std::function<void(const std::string&, int deleted)> done);
  // Live sessions of these keys / mids (missing ones are absent).
  void GetKeys(const std::vector<std::string>& keys, SessionsDone done);
  void GetMids(const std::vector<int64_t>& mids, SessionsDone done);
  void PutOnline(const router::ServerOnline& o, Done done);
  // Every node's fresh comet reports.
  void Online(OnlineDone done);
  void DelServer(const std::string& server,
                 std::function<void(const std::string&, int deleted)> done);

  // The node name owning a key (for tests and logs).
  const std::string& NodeForKey(const std::string& key) const { return ring_.Get(key); }
  const std::string& NodeForMid(int64_t mid) const { return ring_.Get(std::to_string(mid)); }

 private:
  struct Node {
    std::string name;
    std::string addr;
    std::unique_ptr<router::Router::Stub> stub;
  };
  Node& NodeNamed(const std::string& name);
  // The requests writing (or deleting) a connection's two mappings, per node.
  std::map<std::string, router::PutReq> Place(const router::Session& s) const;
  using Async = class router::Router::Stub::async;  // the callback-API half of the stub
  template <class Result, class Req, class Reply, class Collect>
  void Fan(net::AsyncMethod<Async, Req, Reply> method, std::map<std::string, Req> reqs,
           Collect collect, std::function<void(const std::string&, Result)> done);
  std::string Error(const Node& n, const grpc::Status& st) const;

  std::vector<std::unique_ptr<Node>> nodes_;
  hash::Ketama ring_;
  std::chrono::milliseconds timeout_;
  net::InFlight calls_;
};

}  // namespace goim::logic
