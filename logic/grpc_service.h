// logic::GrpcService: goim.logic.Logic over the Logic core (callback API; no thread per call).
#pragma once

#include "api/logic.grpc.pb.h"
#include "logic/logic.h"

namespace goim::logic {

class GrpcService final : public goim::logic::Logic::CallbackService {
 public:
  explicit GrpcService(LogicCore& core) : core_(core) {}

  grpc::ServerUnaryReactor* Connect(grpc::CallbackServerContext* ctx, const ConnectReq* req,
                                    ConnectReply* reply) override;
  grpc::ServerUnaryReactor* Disconnect(grpc::CallbackServerContext* ctx, const DisconnectReq* req,
                                       DisconnectReply* reply) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx, const HeartbeatReq* req,
                                      HeartbeatReply* reply) override;
  grpc::ServerUnaryReactor* RenewOnline(grpc::CallbackServerContext* ctx, const OnlineReq* req,
                                        OnlineReply* reply) override;
  grpc::ServerUnaryReactor* Receive(grpc::CallbackServerContext* ctx, const ReceiveReq* req,
                                    ReceiveReply* reply) override;
  grpc::ServerUnaryReactor* Nodes(grpc::CallbackServerContext* ctx, const NodesReq* req,
                                  NodesReply* reply) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* ctx, const HistoryReq* req,
                                    HistoryReply* reply) override;

 private:
  LogicCore& core_;
};

}  // namespace goim::logic
