// discovery::EtcdClient: the few etcd v3 calls membership needs (lease grant / keep-alive /
// revoke, put, range, delete, and the watch stream's stub), over one gRPC channel to the
// configured endpoints, each call bounded by a deadline. Synchronous: callers are the
// registration and watch threads, never an event loop. [thread-safe]
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

#include "api/etcd/etcdserverpb/rpc.grpc.pb.h"

namespace goim::discovery {

using Millis = std::chrono::milliseconds;

// The gRPC target for etcd endpoints ("127.0.0.1:2379" or "http://127.0.0.1:2379"); several
// become "ipv4:a,b" (gRPC fails over between them) and must then be IPv4 literals. Returns ""
// with *error set when the list cannot be used.
std::string EtcdTarget(const std::vector<std::string>& endpoints, std::string* error);

// The end of etcd's range covering every key that starts with prefix.
std::string PrefixEnd(const std::string& prefix);

class EtcdClient {
 public:
  // Throws std::invalid_argument when the endpoints cannot be used (see EtcdTarget).
  EtcdClient(const std::vector<std::string>& endpoints, Millis timeout);

  // A lease of ttl seconds; *id and the TTL etcd granted.
  grpc::Status Grant(int64_t ttl_s, int64_t* id, int64_t* granted_ttl);
  // One keep-alive round trip; *ttl is 0 when the lease no longer exists.
  grpc::Status KeepAlive(int64_t id, int64_t* ttl);
  grpc::Status Revoke(int64_t id);
  grpc::Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  grpc::Status Delete(const std::string& key);
  // Every key under prefix, with the store revision of the read.
  grpc::Status RangePrefix(const std::string& prefix, etcdserverpb::RangeResponse* out);

  etcdserverpb::Watch::Stub& watch() { return *watch_; }
  // For messages: the endpoints as configured.
  const std::string& endpoints() const { return endpoints_; }
  Millis timeout() const { return timeout_; }
  // Sets the call deadline; wait_for_ready so a call made while etcd restarts waits for it
  // within the deadline instead of failing at once.
  void Prepare(grpc::ClientContext* ctx) const;

 private:
  std::string endpoints_;
  Millis timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
};

}  // namespace goim::discovery
