#include "logic/grpc_service.h"

#include "pkg/net/grpc_reply.h"

namespace goim::logic {

namespace {
grpc::Status ToStatus(const Result& r) {
  if (r.ok()) return grpc::Status::OK;
  return grpc::Status(
      r.code == kRequestErr ? grpc::StatusCode::INVALID_ARGUMENT : grpc::StatusCode::UNAVAILABLE,
      r.message);
}
}  // namespace

grpc::ServerUnaryReactor* GrpcService::Connect(grpc::CallbackServerContext* ctx,
                                               const ConnectReq* req, ConnectReply* reply) {
  auto* reactor = ctx->DefaultReactor();
  core_.Connect(req->server(), req->cookie(), req->token(),
                [reactor, reply](Result r, ConnectReply out) {
                  if (r.ok()) *reply = std::move(out);
                  reactor->Finish(ToStatus(r));
                });
  return reactor;
}

grpc::ServerUnaryReactor* GrpcService::Disconnect(grpc::CallbackServerContext* ctx,
                                                  const DisconnectReq* req,
                                                  DisconnectReply* reply) {
  auto* reactor = ctx->DefaultReactor();
  core_.Disconnect(req->mid(), req->key(), req->server(), [reactor, reply](Result r, bool has) {
    reply->set_has(has);
    reactor->Finish(ToStatus(r));
  });
  return reactor;
}

grpc::ServerUnaryReactor* GrpcService::Heartbeat(grpc::CallbackServerContext* ctx,
                                                 const HeartbeatReq* req, HeartbeatReply*) {
  auto* reactor = ctx->DefaultReactor();
  core_.Heartbeat(req->mid(), req->key(), req->server(),
                  [reactor](Result r) { reactor->Finish(ToStatus(r)); });
  return reactor;
}

grpc::ServerUnaryReactor* GrpcService::RenewOnline(grpc::CallbackServerContext* ctx,
                                                   const OnlineReq* req, OnlineReply* reply) {
  auto* reactor = ctx->DefaultReactor();
  core_.RenewOnline(*req, [reactor, reply](Result r, std::map<std::string, int32_t> all) {
    for (const auto& [room, n] : all) (*reply->mutable_allroomcount())[room] = n;
    reactor->Finish(ToStatus(r));
  });
  return reactor;
}

// Answered when the send path has its outcome (a hook and the queue may take a while): the call
// waits in its reactor, no gRPC thread does.
grpc::ServerUnaryReactor* GrpcService::Receive(grpc::CallbackServerContext* ctx,
                                               const ReceiveReq* req, ReceiveReply* reply) {
  auto* reactor = ctx->DefaultReactor();
  core_.Receive(*req, [reactor, reply](std::string body) {
    reply->set_body(std::move(body));
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* GrpcService::Nodes(grpc::CallbackServerContext* ctx, const NodesReq* req,
                                             NodesReply* reply) {
  *reply = core_.Nodes(req->platform(), req->clientip());
  return net::FinishNow(ctx);
}

// Answered from the store's thread when the store blocks (Redis); no gRPC thread waits.
grpc::ServerUnaryReactor* GrpcService::History(grpc::CallbackServerContext* ctx,
                                               const HistoryReq* req, HistoryReply* reply) {
  auto* reactor = ctx->DefaultReactor();
  core_.History(*req, [reactor, reply](Result r, HistoryReply out) {
    if (r.ok()) *reply = std::move(out);
    reactor->Finish(ToStatus(r));
  });
  return reactor;
}

}  // namespace goim::logic
