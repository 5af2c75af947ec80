#include "logic/router_client.h"

#include <grpcpp/create_channel.h>

#include "pkg/net/join.h"

namespace goim::logic {

namespace {

std::vector<std::string> Names(const std::map<std::string, std::string>& nodes) {
  std::vector<std::string> out;
  for (const auto& [name, addr] : nodes) out.push_back(name);
  return out;
}

}  // namespace

RouterClient::RouterClient(const std::map<std::string, std::string>& nodes,
                           std::chrono::milliseconds timeout)
    : ring_(Names(nodes)), timeout_(timeout) {
  for (const auto& [name, addr] : nodes) {
    auto n = std::make_unique<Node>();
    n->name = name;
    n->addr = addr;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    n->stub = router::Router::NewStub(
        grpc::CreateCustomChannel(addr, grpc::InsecureChannelCredentials(), args));
    nodes_.push_back(std::move(n));
  }
}

RouterClient::~RouterClient() { calls_.WaitIdle(); }

RouterClient::Node& RouterClient::NodeNamed(const std::string& name) {
  for (auto& n : nodes_) {
    if (n->name == name) return *n;
  }
  return *nodes_.front();
}

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

// Sends reqs (node name -> request) in parallel; collect(reply, result) gathers each answer;
// done runs once, after the last answer, with the first error.
template <class Result, class Req, class Reply, class Collect>
void RouterClient::Fan(net::AsyncMethod<Async, Req, Reply> method, std::map<std::string, Req> reqs,
                       Collect collect, std::function<void(const std::string&, Result)> done) {
  auto join = net::Join<Result>::Make(reqs.size(), std::move(done));
  // A restarting router is waited for, within the deadline.
  const net::CallOptions opts{timeout_, true, &calls_};
  for (auto& [name, req] : reqs) {
    Node& n = NodeNamed(name);
    net::UnaryCall(n.stub->async(), method, std::move(req), opts,
                   [this, &n, join, collect](const grpc::Status& st, Reply& reply) {
                     join->Report(Error(n, st), [&](Result& r) { collect(reply, r); });
                   });
  }
}

std::map<std::string, router::PutReq> RouterClient::Place(const router::Session& s) const {
  std::map<std::string, router::PutReq> reqs;
  *reqs[ring_.Get(s.key())].add_by_key() = s;
  if (s.mid() != 0) *reqs[ring_.Get(std::to_string(s.mid()))].add_by_mid() = s;
  return reqs;
}

void RouterClient::Put(const router::Session& s,
                       std::function<void(const std::string&, PutResult)> done) {
  Fan<PutResult>(
      &Async::Put, Place(s),
      [](const router::PutReply& reply, PutResult& r) {
        r.existed += reply.existed();
        r.moved.insert(r.moved.end(), reply.moved().begin(), reply.moved().end());
      },
      std::move(done));
}

void RouterClient::Del(const router::Session& s,
                       std::function<void(const std::string&, int)> done) {
  // A DelReq has the same two lists as a PutReq.
  std::map<std::string, router::DelReq> reqs;
  for (auto& [name, put] : Place(s)) {
    *reqs[name].mutable_by_key() = put.by_key();
    *reqs[name].mutable_by_mid() = put.by_mid();
  }
  Fan<int>(
      &Async::Del, std::move(reqs),
      [](const router::DelReply& reply, int& r) { r += reply.deleted(); }, std::move(done));
}

namespace {
void AppendSessions(const google::protobuf::RepeatedPtrField<router::Session>& in,
                    std::vector<router::Session>& out) {
  out.insert(out.end(), in.begin(), in.end());
}
}  // namespace

void RouterClient::GetKeys(const std::vector<std::string>& keys, SessionsDone done) {
  std::map<std::string, router::GetKeysReq> reqs;
  for (const auto& k : keys) reqs[ring_.Get(k)].add_keys(k);
  Fan<std::vector<router::Session>>(
      &Async::GetKeys, std::move(reqs),
      [](const router::GetKeysReply& reply, auto& r) { AppendSessions(reply.sessions(), r); },
      std::move(done));
}

void RouterClient::GetMids(const std::vector<int64_t>& mids, SessionsDone done) {
  std::map<std::string, router::GetMidsReq> reqs;
  for (int64_t m : mids) reqs[ring_.Get(std::to_string(m))].add_mids(m);
  Fan<std::vector<router::Session>>(
      &Async::GetMids, std::move(reqs),
      [](const router::GetMidsReply& reply, auto& r) { AppendSessions(reply.sessions(), r); },
      std::move(done));
}

void RouterClient::PutOnline(const router::ServerOnline& o, Done done) {
  std::map<std::string, router::PutOnlineReq> reqs;
  *reqs[ring_.Get(o.server())].mutable_online() = o;
  Fan<int>(
      &Async::PutOnline, std::move(reqs), [](const router::PutOnlineReply&, int&) {},
      [done](const std::string& err, int) { done(err); });
}

void RouterClient::Online(OnlineDone done) {
  std::map<std::string, router::OnlineReq> reqs;
  for (auto& n : nodes_) reqs[n->name];
  Fan<std::vector<router::ServerOnline>>(
      &Async::Online, std::move(reqs),
      [](const router::OnlineReply& reply, auto& r) {
        r.insert(r.end(), reply.servers().begin(), reply.servers().end());
      },
      std::move(done));
}

void RouterClient::DelServer(const std::string& server,
                             std::function<void(const std::string&, int)> done) {
  std::map<std::string, router::DelServerReq> reqs;
  for (auto& n : nodes_) reqs[n->name].set_server(server);
  Fan<int>(
      &Async::DelServer, std::move(reqs),
      [](const router::DelServerReply& reply, int& r) { r += reply.deleted(); }, std::move(done));
}

}  // namespace goim::logic
