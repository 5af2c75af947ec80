#include "logic/router_client.h"

#include <atomic>
#include <mutex>

#include <grpcpp/create_channel.h>

namespace goim::logic {

namespace {

std::vector<std::string> Names(const std::map<std::string, std::string>& nodes) {
  std::vector<std::string> out;
  for (const auto& [name, addr] : nodes) out.push_back(name);
  return out;
}

// Waits for n parallel calls, keeps the first error and whatever the calls collect, then calls
// done once.
template <class T>
struct Join {
  std::mutex mu;
  int pending;
  std::string error;
  T result{};
  std::function<void(const std::string&, T)> done;
  Join(int n, std::function<void(const std::string&, T)> d) : pending(n), done(std::move(d)) {}
  // Runs f(result) under the lock, records err, and finishes when it was the last call.
  template <class F>
  static void One(const std::shared_ptr<Join>& j, const std::string& err, F&& f) {
    bool last;
    {
      std::lock_guard<std::mutex> lock(j->mu);
      if (!err.empty() && j->error.empty()) j->error = err;
      if (err.empty()) f(j->result);
      last = --j->pending == 0;
    }
    if (last) j->done(j->error, std::move(j->result));
  }
};

template <class Req, class Reply>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Reply reply;
};

}  // namespace

namespace {
constexpr const char* kNoNodes = "router: no router node known (the membership lists none)";
}  // namespace

RouterClient::RouterClient(const std::map<std::string, std::string>& nodes,
                           std::chrono::milliseconds timeout, std::chrono::milliseconds sync_wait)
    : topology_(std::make_shared<Topology>()), timeout_(timeout), sync_wait_(sync_wait) {
  SetNodes(nodes);
}

RouterClient::~RouterClient() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return outstanding_ == 0; });
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
  static const char* kCodes[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  int code = st.error_code();
  std::string name = code >= 0 && code <= 16 ? kCodes[code] : std::to_string(code);
  return "router " + n.name + " (" + n.addr + "): " + name + ": " + st.error_message();
}

void RouterClient::Deadline(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() + timeout_);
  ctx->set_wait_for_ready(true);  // a restarting router is waited for, within the deadline
}

// Sends reqs (node name -> request) in parallel; collect(reply, result) gathers each answer;
// done runs once, after the last answer, with the first error.
template <class Req, class Reply, class Result, class Invoke, class Collect>
void RouterClient::Fan(const Topology& t, std::map<std::string, Req> reqs, Invoke invoke,
                       Collect collect, std::function<void(const std::string&, Result)> done) {
  if (t.nodes.empty()) return done(kNoNodes, Result{});
  if (reqs.empty()) return done("", Result{});
  auto join = std::make_shared<Join<Result>>(static_cast<int>(reqs.size()), std::move(done));
  {
    std::lock_guard<std::mutex> lock(mu_);
    outstanding_ += static_cast<int>(reqs.size());
  }
  for (auto& [name, req] : reqs) {
    // The node stays alive while its call runs, even when SetNodes dropped it meanwhile.
    std::shared_ptr<Node> n = t.nodes.at(name);
    auto* c = new Call<Req, Reply>();
    c->req = std::move(req);
    Deadline(&c->ctx);
    invoke(n->stub->async(), &c->ctx, &c->req, &c->reply,
           [this, n, c, join, collect](grpc::Status st) {
             // The call's state is gone before done runs: done may destroy this client.
             std::string err = Error(*n, st);
             Reply reply = std::move(c->reply);
             delete c;
             {
               std::lock_guard<std::mutex> lock(mu_);
               if (--outstanding_ == 0) idle_.notify_all();
             }
             Join<Result>::One(join, err, [&reply, &collect](Result& r) { collect(reply, r); });
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
                       std::function<void(const std::string&, int)> done) {
  auto t = topology();
  Fan<router::PutReq, router::PutReply, int>(
      *t, Place(*t, s),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->Put(ctx, req, reply, std::move(cb));
      },
      [](const router::PutReply& reply, int& r) { r += reply.existed(); }, std::move(done));
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
  Fan<router::DelReq, router::DelReply, int>(
      *t, std::move(reqs),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->Del(ctx, req, reply, std::move(cb));
      },
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
  Fan<router::GetKeysReq, router::GetKeysReply, Found>(
      *t, std::move(reqs),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->GetKeys(ctx, req, reply, std::move(cb));
      },
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
  Fan<router::GetMidsReq, router::GetMidsReply, Found>(
      *t, std::move(reqs),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->GetMids(ctx, req, reply, std::move(cb));
      },
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
  Fan<router::PutOnlineReq, router::PutOnlineReply, int>(
      *t, std::move(reqs),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->PutOnline(ctx, req, reply, std::move(cb));
      },
      [](const router::PutOnlineReply&, int&) {},
      [done](const std::string& err, int) { done(err); });
}

void RouterClient::Online(OnlineDone done) {
  auto t = topology();
  std::map<std::string, router::OnlineReq> reqs;
  for (const auto& [name, n] : t->nodes) reqs[name];
  Fan<router::OnlineReq, router::OnlineReply, std::vector<router::ServerOnline>>(
      *t, std::move(reqs),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->Online(ctx, req, reply, std::move(cb));
      },
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
  Fan<router::DelServerReq, router::DelServerReply, int>(
      *t, std::move(reqs),
      [](auto* a, auto* ctx, auto* req, auto* reply, auto cb) {
        a->DelServer(ctx, req, reply, std::move(cb));
      },
      [](const router::DelServerReply& reply, int& r) { r += reply.deleted(); }, std::move(done));
}

}  // namespace goim::logic
