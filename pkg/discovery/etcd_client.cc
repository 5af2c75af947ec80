#include "pkg/discovery/etcd_client.h"

#include <arpa/inet.h>

#include <stdexcept>

#include <grpcpp/create_channel.h>

namespace goim::discovery {

std::string EtcdTarget(const std::vector<std::string>& endpoints, std::string* error) {
  std::vector<std::string> hosts;
  for (std::string e : endpoints) {
    if (e.rfind("https://", 0) == 0) {
      *error = "'" + e + "': TLS endpoints are not supported";
      return "";
    }
    if (e.rfind("http://", 0) == 0) e = e.substr(7);
    while (!e.empty() && e.back() == '/') e.pop_back();
    size_t colon = e.rfind(':');
    if (e.empty() || colon == std::string::npos || colon == 0 || colon + 1 == e.size()) {
      *error = "'" + e + "': expected host:port";
      return "";
    }
    hosts.push_back(e);
  }
  if (hosts.empty()) {
    *error = "no endpoint";
    return "";
  }
  if (hosts.size() == 1) return hosts.front();
  std::string t = "ipv4:";
  for (size_t i = 0; i < hosts.size(); ++i) {
    in_addr a;
    if (inet_pton(AF_INET, hosts[i].substr(0, hosts[i].rfind(':')).c_str(), &a) != 1) {
      *error = "'" + hosts[i] + "': several endpoints must be IPv4 literals";
      return "";
    }
    t += (i ? "," : "") + hosts[i];
  }
  return t;
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

EtcdClient::EtcdClient(const std::vector<std::string>& endpoints, Millis timeout)
    : timeout_(timeout) {
  std::string error;
  std::string target = EtcdTarget(endpoints, &error);
  if (target.empty()) throw std::invalid_argument("discovery.etcd.endpoints: " + error);
  for (const auto& e : endpoints) endpoints_ += (endpoints_.empty() ? "" : ",") + e;
  grpc::ChannelArguments args;
  // etcd refuses pings more often than every 5 s (its --grpc-keepalive-min-time): 10 s finds a
  // silently dead etcd (a cut network) within 13 s, while the watch stream is open.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  kv_ = etcdserverpb::KV::NewStub(channel_);
  lease_ = etcdserverpb::Lease::NewStub(channel_);
  watch_ = etcdserverpb::Watch::NewStub(channel_);
}

void EtcdClient::Prepare(grpc::ClientContext* ctx) const {
  ctx->set_deadline(std::chrono::system_clock::now() + timeout_);
  ctx->set_wait_for_ready(true);
}

grpc::Status EtcdClient::Grant(int64_t ttl_s, int64_t* id, int64_t* granted_ttl) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(ttl_s);
  etcdserverpb::LeaseGrantResponse resp;
  grpc::Status st = lease_->LeaseGrant(&ctx, req, &resp);
  if (!st.ok()) return st;
  if (!resp.error().empty()) return {grpc::StatusCode::UNKNOWN, resp.error()};
  *id = resp.id();
  *granted_ttl = resp.ttl();
  return st;
}

grpc::Status EtcdClient::KeepAlive(int64_t id, int64_t* ttl) {
  // One short stream per renewal: its deadline bounds the round trip, which a long-lived stream
  // read from this thread could not.
  grpc::ClientContext ctx;
  Prepare(&ctx);
  auto stream = lease_->LeaseKeepAlive(&ctx);
  etcdserverpb::LeaseKeepAliveRequest req;
  req.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse resp;
  bool ok = stream->Write(req) && stream->Read(&resp);
  stream->WritesDone();
  grpc::Status st = stream->Finish();
  if (!ok) return st.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream") : st;
  *ttl = resp.ttl();
  return grpc::Status::OK;
}

grpc::Status EtcdClient::Revoke(int64_t id) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  etcdserverpb::LeaseRevokeRequest req;
  req.set_id(id);
  etcdserverpb::LeaseRevokeResponse resp;
  return lease_->LeaseRevoke(&ctx, req, &resp);
}

grpc::Status EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  etcdserverpb::PutResponse resp;
  return kv_->Put(&ctx, req, &resp);
}

grpc::Status EtcdClient::Delete(const std::string& key) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(key);
  etcdserverpb::DeleteRangeResponse resp;
  return kv_->DeleteRange(&ctx, req, &resp);
}

grpc::Status EtcdClient::RangePrefix(const std::string& prefix, etcdserverpb::RangeResponse* out) {
  grpc::ClientContext ctx;
  Prepare(&ctx);
  etcdserverpb::RangeRequest req;
  req.set_key(prefix);
  req.set_range_end(PrefixEnd(prefix));
  return kv_->Range(&ctx, req, out);
}

}  // namespace goim::discovery
