// Where a service's gRPC server listens. Header-only: goim_pkg does not link gRPC.
#pragma once

#include <string>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

namespace goim::net {

// addr as goim writes it (":3109" = every interface). The port is this process's alone: gRPC's
// default SO_REUSEPORT would let a second server started on it by mistake take part of the
// calls without an error; here the second one fails to start, as goim's does.
inline void AddGrpcListener(grpc::ServerBuilder& b, const std::string& addr, int* port) {
  b.AddListeningPort(!addr.empty() && addr.front() == ':' ? "0.0.0.0" + addr : addr,
                     grpc::InsecureServerCredentials(), port);
  b.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

}  // namespace goim::net
