#include "logic/router_client.h"

#include <grpcpp/create_channel.h>

#include "pkg/net/grpc_status.h"
#include "pkg/net/join.h"

namespace goim::logic {

namespace {

std::vector<std::string> Names(const std::map<std::string, std::string>& nodes) {
  std::vector<std::string> out;
  for (const auto& [name, addr] : nodes) out.push_back(name);
  return out;
}

constexpr const char* kNoNodes = "router: no router node known (the membership lists none)";

}  // namespace

RouterClient::RouterClient(const std::map<std::string, std::string>& nodes,
                           std::chrono::milliseconds timeout, std::chrono::milliseconds sync_wait,
                           time::Clock& clock)
    : topology_(std::make_shared<Topology>()),
      timeout_(timeout),
      sync_wait_(sync_wait),
      clock_(clock),
      retries_(io_, clock, 64) {
  SetNodes(nodes);
  loop_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

RouterClient::~RouterClient() {
  calls_.WaitIdle();  // no retry is left on the timer either: each counts until it ran
  io_.stop();
  loop_.join();
}

void RouterClient::After(time::Duration delay, std::function<void()> fn) {
  struct Retry {
    RouterClient* self;
    std::function<void()> fn;
  };
  calls_.Begin();  // ended once fn ran: fn's own calls count by then
  auto* r = new Retry{this, std::move(fn)};
  // Due from now, not from when the loop gets to it.
  time::TimePoint due = clock_.Now() + delay;
  asio::post(io_, [this, due, r] {
    retries_.Add(
        due - retries_.Now(),
        [](void* arg) {
          std::unique_ptr<Retry> r(static_cast<Retry*>(arg));
          r->fn();
          r->self->calls_.End();
        },
        r);
  });
}

void RouterClient::SetNodes(const std::map<std::string, std::string>& nodes,
                            const std::set<std::string>& renew) {
  auto old = topology();
  auto next = std::make_shared<Topology>();
  for (const auto& [name, addr] : nodes) {
    auto it = old->nodes.find(name);
    if (it != old->nodes.end() && it->second->addr == addr && !renew.count(name)) {
      next->nodes[name] = it->second;  // same node: keep its connection
      continue;
    }
    auto n = std::make_shared<Node>();
    n->name = name;
    n->addr = addr;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    n->stub = router::Router::NewStub(
        grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
    next->nodes[name] = std::move(n);
  }
  next->ring = hash::Ketama(Names(nodes));
  std::lock_guard<std::mutex> lock(topology_mu_);
  topology_ = std::move(next);
}

std::shared_ptr<const RouterClient::Topology> RouterClient::topology() const {
  std::lock_guard<std::mutex> lock(topology_mu_);
  return topology_;
}

std::map<std::string, std::string> RouterClient::Nodes() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, n] : topology()->nodes) out[name] = n->addr;
  return out;
}

std::string RouterClient::NodeForKey(const std::string& key) const {
  auto t = topology();
  return t->ring.empty() ? "" : t->ring.Get(key);
}

std::string RouterClient::NodeForMid(int64_t mid) const { return NodeForKey(std::to_string(mid)); }

std::string RouterClient::Error(const Node& n, const grpc::Status& st) const {
  if (st.ok()) return "";
  return "router " + n.name + " (" + n.addr + "): " + net::StatusText(st);
}

// Sends reqs (node name -> request) in parallel; collect(reply, result) gathers each answer;
// done runs once, after the last answer, with the first error.
template <class Result, class Req, class Reply, class Collect>
void RouterClient::Fan(const Topology& t, net::AsyncMethod<Async, Req, Reply> method,
                       std::map<std::string, Req> reqs, Collect collect,
                       std::function<void(const std::string&, Result)> done) {
  if (t.nodes.empty()) return done(kNoNodes, Result{});
  auto join = net::Join<Result>::Make(reqs.size(), std::move(done));
  // A restarting router is waited for, within the deadline.
  const net::CallOptions opts{timeout_, true, &calls_};
  for (auto& [name, req] : reqs) {
    // The node stays alive while its call runs, even when SetNodes dropped it meanwhile.
    std::shared_ptr<Node> n = t.nodes.at(name);
    net::UnaryCall(n->stub->async(), method, std::move(req), opts,
                   [this, n, join, collect](const grpc::Status& st, Reply& reply) {
                     join->Report(Error(*n, st), [&](Result& r) { collect(reply, r); });
                   });
  }
}

std::map<std::string, router::PutReq> RouterClient::Place(const Topology& t,
                                                          const router::Session& s) {
  std::map<std::string, router::PutReq> reqs;
  if (t.ring.empty()) return reqs;
  *reqs[t.ring.Get(s.key())].add_by_key() = s;
  if (s.mid() != 0) *reqs[t.ring.Get(std::to_string(s.mid()))].add_by_mid() = s;
  return reqs;
}

void RouterClient::Put(const router::Session& s,
                       std::function<void(const std::string&, PutResult)> done) {
  auto t = topology();
  Fan<PutResult>(
      *t, &Async::Put, Place(*t, s),
      [](const router::PutReply& reply, PutResult& r) {
        r.existed += reply.existed();
        r.moved.insert(r.moved.end(), reply.moved().begin(), reply.moved().end());
      },
      std::move(done));
}

void RouterClient::Del(const router::Session& s,
                       std::function<void(const std::string&, int)> done) {
  // A DelReq has the same two lists as a PutReq.
  auto t = topology();
  std::map<std::string, router::DelReq> reqs;
  for (auto& [name, put] : Place(*t, s)) {
    *reqs[name].mutable_by_key() = put.by_key();
    *reqs[name].mutable_by_mid() = put.by_mid();
  }
  Fan<int>(
      *t, &Async::Del, std::move(reqs),
      [](const router::DelReply& reply, int& r) { r += reply.deleted(); }, std::move(done));
}

namespace {
void AppendSessions(const google::protobuf::RepeatedPtrField<router::Session>& in,
                    std::vector<router::Session>& out) {
  out.insert(out.end(), in.begin(), in.end());
}
}  // namespace

void RouterClient::GetKeysOnce(const std::vector<std::string>& keys, FoundDone done) {
  auto t = topology();
  std::map<std::string, router::GetKeysReq> reqs;
  if (!t->ring.empty()) {
    for (const auto& k : keys) reqs[t->ring.Get(k)].add_keys(k);
  }
  Fan<Found>(
      *t, &Async::GetKeys, std::move(reqs),
      [](const router::GetKeysReply& reply, Found& r) {
        AppendSessions(reply.sessions(), r.sessions);
        r.pending_keys.insert(r.pending_keys.end(), reply.pending().begin(), reply.pending().end());
      },
      std::move(done));
}

void RouterClient::GetMidsOnce(const std::vector<int64_t>& mids, FoundDone done) {
  auto t = topology();
  std::map<std::string, router::GetMidsReq> reqs;
  if (!t->ring.empty()) {
    for (int64_t m : mids) reqs[t->ring.Get(std::to_string(m))].add_mids(m);
  }
  Fan<Found>(
      *t, &Async::GetMids, std::move(reqs),
      [](const router::GetMidsReply& reply, Found& r) {
        AppendSessions(reply.sessions(), r.sessions);
        r.pending_mids.insert(r.pending_mids.end(), reply.pending().begin(), reply.pending().end());
      },
      std::move(done));
}

void RouterClient::PutOnline(const router::ServerOnline& o, Done done) {
  auto t = topology();
  std::map<std::string, router::PutOnlineReq> reqs;
  if (!t->ring.empty()) *reqs[t->ring.Get(o.server())].mutable_online() = o;
  Fan<int>(
      *t, &Async::PutOnline, std::move(reqs), [](const router::PutOnlineReply&, int&) {},
      [done](const std::string& err, int) { done(err); });
}

void RouterClient::Online(OnlineDone done) {
  auto t = topology();
  std::map<std::string, router::OnlineReq> reqs;
  for (const auto& [name, n] : t->nodes) reqs[name];
  Fan<std::vector<router::ServerOnline>>(
      *t, &Async::Online, std::move(reqs),
      [](const router::OnlineReply& reply, auto& r) {
        r.insert(r.end(), reply.servers().begin(), reply.servers().end());
      },
      std::move(done));
}

void RouterClient::DelServer(const std::string& server,
                             std::function<void(const std::string&, int)> done) {
  auto t = topology();
  std::map<std::string, router::DelServerReq> reqs;
  for (const auto& [name, n] : t->nodes) reqs[name].set_server(server);
  Fan<int>(
      *t, &Async::DelServer, std::move(reqs),
      [](const router::DelServerReply& reply, int& r) { r += reply.deleted(); }, std::move(done));
}

}  // namespace goim::logic
