// logic::RouterClient: logic's side of the router cluster. Places each mapping with ketama (a
// key's mapping on ketama(key), a mid's on ketama(mid), a comet's online report on
// ketama(server)), batches per node, calls the nodes in parallel over gRPC with a deadline on
// every call, and reports failures naming the node. The node set can change while calls run
// (membership): each call uses the nodes and ring of the moment it started. Callbacks run on gRPC
// threads. [thread-safe]
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/router.grpc.pb.h"
#include "pkg/hash/ketama.h"
#include "pkg/net/asio.h"
#include "pkg/net/grpc_call.h"
#include "pkg/time/loop_timer.h"

namespace goim::logic {

class RouterClient {
 public:
  // error is "" on success, else "router <name> (<addr>): <grpc status>".
  using Done = std::function<void(const std::string& error)>;
  using SessionsDone = std::function<void(const std::string& error, std::vector<router::Session>)>;
  using OnlineDone =
      std::function<void(const std::string& error, std::vector<router::ServerOnline>)>;

  // sync_wait: how long a lookup waits for a router that is rebuilding its table; clock: where
  // that wait and its retries take their time (a FakeClock in tests).
  RouterClient(const std::map<std::string, std::string>& nodes, std::chrono::milliseconds timeout,
               std::chrono::milliseconds sync_wait = std::chrono::seconds(5),
               time::Clock& clock = time::SystemClock());
  // Waits for the calls in flight and for the lookups waiting to ask again (their callbacks use
  // the nodes); a callback must therefore not destroy this client.
  ~RouterClient();

  // Replaces the node set (name -> address) and rebuilds the ring; nodes whose name and address
  // stay keep their connection, except those named in renew (a new process: the old connection
  // may be waiting out a reconnect backoff). An empty set leaves every call failing until nodes
  // come back.
  void SetNodes(const std::map<std::string, std::string>& nodes,
                const std::set<std::string>& renew = {});
  std::map<std::string, std::string> Nodes() const;

  struct PutResult {
    int existed = 0;                     // entries that were already there (renewed)
    std::vector<router::Session> moved;  // the key pointed at another comet (server) before
  };
  // Writes (or renews) a connection's mappings.
  void Put(const router::Session& s, std::function<void(const std::string&, PutResult)> done);
  // Deletes a connection's mappings while they still point at s.server.
  void Del(const router::Session& s, std::function<void(const std::string&, int deleted)> done);
  // Live sessions of these keys / mids (missing ones are absent). A router rebuilding its table
  // answers "pending" for what it cannot vouch for: those are asked again every 50 ms for up to
  // sync_wait, then the call fails naming the router (never "absent" for a session that may
  // exist). (logic/router_lookup.cc)
  void GetKeys(const std::vector<std::string>& keys, SessionsDone done);
  void GetMids(const std::vector<int64_t>& mids, SessionsDone done);
  void PutOnline(const router::ServerOnline& o, Done done);
  // Every node's fresh comet reports.
  void Online(OnlineDone done);
  void DelServer(const std::string& server,
                 std::function<void(const std::string&, int deleted)> done);

  // The node name owning a key or mid ("" with no node; for tests and logs).
  std::string NodeForKey(const std::string& key) const;
  std::string NodeForMid(int64_t mid) const;

 private:
  // One lookup's answers: sessions, and what rebuilding routers could not answer yet.
  struct Found {
    std::vector<router::Session> sessions;
    std::vector<std::string> pending_keys;
    std::vector<int64_t> pending_mids;
  };
  using FoundDone = std::function<void(const std::string& error, Found)>;
  void GetKeysOnce(const std::vector<std::string>& keys, FoundDone done);
  void GetMidsOnce(const std::vector<int64_t>& mids, FoundDone done);
  template <class T>
  using Once = void (RouterClient::*)(const std::vector<T>&, FoundDone);
  template <class T>
  void Lookup(std::vector<T> ask, Once<T> once, std::vector<router::Session> found,
              time::TimePoint until, SessionsDone done);
  std::string PendingError(const std::string& what, size_t n) const;

  struct Node {
    std::string name;
    std::string addr;
    std::unique_ptr<router::Router::Stub> stub;
  };
  // The nodes and their ring at one moment; replaced whole by SetNodes.
  struct Topology {
    std::map<std::string, std::shared_ptr<Node>> nodes;
    hash::Ketama ring{{}};
  };
  std::shared_ptr<const Topology> topology() const;
  // The requests writing (or deleting) a connection's two mappings, per node.
  static std::map<std::string, router::PutReq> Place(const Topology& t, const router::Session& s);
  using Async = class router::Router::Stub::async;  // the callback-API half of the stub
  template <class Result, class Req, class Reply, class Collect>
  void Fan(const Topology& t, net::AsyncMethod<Async, Req, Reply> method,
           std::map<std::string, Req> reqs, Collect collect,
           std::function<void(const std::string&, Result)> done);
  // Runs fn on the retry loop once delay has passed on the clock. [thread-safe]
  void After(time::Duration delay, std::function<void()> fn);
  std::string Error(const Node& n, const grpc::Status& st) const;

  mutable std::mutex topology_mu_;
  std::shared_ptr<const Topology> topology_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds sync_wait_;
  time::Clock& clock_;
  // Calls, and lookups waiting to ask again, whose callbacks have not finished.
  net::InFlight calls_;
  // The loop whose timer holds the lookups waiting to ask a rebuilding router again.
  asio::io_context io_{1};
  time::LoopTimer retries_;
  std::thread loop_;
};

}  // namespace goim::logic
