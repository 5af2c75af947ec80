// comet::GrpcService: goim.comet.Comet, called by job (and Kick by logic). Handlers build each
// push once and post it to the loops that own the receivers; they never touch a channel.
#pragma once

#include "api/comet.grpc.pb.h"
#include "comet/context.h"
#include "comet/push.h"

namespace goim::comet {

// The frames a client receives for a push: an OpRaw body as is (already a run of frames),
// anything else encoded as one frame.
std::shared_ptr<const PushData> MakePushData(const goim::protocol::Proto& p);
// A room push, with its frames' room offsets when job sent them (one per frame of an OpRaw; a
// list that does not match the frames is ignored, counted and logged).
std::shared_ptr<const PushData> MakeRoomPushData(const goim::comet::BroadcastRoomReq& req);

class GrpcService final : public goim::comet::Comet::CallbackService {
 public:
  explicit GrpcService(Context& ctx) : ctx_(ctx) {}

  grpc::ServerUnaryReactor* PushMsg(grpc::CallbackServerContext* c, const PushMsgReq* req,
                                    PushMsgReply*) override;
  grpc::ServerUnaryReactor* Broadcast(grpc::CallbackServerContext* c, const BroadcastReq* req,
                                      BroadcastReply*) override;
  grpc::ServerUnaryReactor* BroadcastRoom(grpc::CallbackServerContext* c,
                                          const BroadcastRoomReq* req,
                                          BroadcastRoomReply*) override;
  grpc::ServerUnaryReactor* Rooms(grpc::CallbackServerContext* c, const RoomsReq* req,
                                  RoomsReply* reply) override;
  grpc::ServerUnaryReactor* Kick(grpc::CallbackServerContext* c, const KickReq* req,
                                 KickReply* reply) override;

 private:
  Context& ctx_;
};

}  // namespace goim::comet
