// Answering a callback-API unary call at once (the handler has its reply ready).
#pragma once

#include <grpcpp/support/server_callback.h>

namespace goim::net {

inline grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx,
                                           grpc::Status st = grpc::Status::OK) {
  grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
  r->Finish(std::move(st));
  return r;
}

}  // namespace goim::net
