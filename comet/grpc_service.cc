#include "comet/grpc_service.h"

#include <glog/logging.h>

#include "comet/loop.h"
#include "comet/stats.h"
#include "pkg/log/log.h"
#include "pkg/net/grpc_reply.h"
#include "pkg/protocol/binary.h"

namespace goim::comet {

namespace {

int32_t CountFrames(const std::string& frames) {
  int32_t n = 0;
  size_t at = 0;
  while (at + protocol::kRawHeaderSize <= frames.size()) {
    int32_t len = protocol::LoadI32(reinterpret_cast<const uint8_t*>(frames.data()) + at);
    if (len < protocol::kRawHeaderSize) break;
    at += static_cast<size_t>(len);
    ++n;
  }
  return n > 0 ? n : 1;
}

}  // namespace

std::shared_ptr<const PushData> MakePushData(const goim::protocol::Proto& p) {
  if (p.op() == protocol::kOpRaw)
    return std::make_shared<PushData>(p.body(), CountFrames(p.body()));
  std::string frame;
  protocol::AppendFrame(&frame, p.ver(), p.op(), p.seq(), p.body());
  return std::make_shared<PushData>(std::move(frame), 1);
}

std::shared_ptr<const PushData> MakeRoomPushData(const goim::comet::BroadcastRoomReq& req) {
  const goim::protocol::Proto& p = req.proto();
  if (req.offsets_size() == 0) return MakePushData(p);
  const int32_t frames = p.op() == protocol::kOpRaw ? CountFrames(p.body()) : 1;
  if (req.offsets_size() != frames) {
    Stats::Get().history_bad_offsets->Inc();
    LOG_EVERY_T(WARNING, 1) << "comet: room push offsets ignored room="
                            << log::Printable(req.roomid()) << " offsets=" << req.offsets_size()
                            << " frames=" << frames;
    return MakePushData(p);
  }
  std::string bytes;
  if (p.op() == protocol::kOpRaw)
    bytes = p.body();
  else
    protocol::AppendFrame(&bytes, p.ver(), p.op(), p.seq(), p.body());
  return std::make_shared<PushData>(
      std::move(bytes), frames, std::vector<int64_t>(req.offsets().begin(), req.offsets().end()),
      req.epoch());
}

grpc::ServerUnaryReactor* GrpcService::PushMsg(grpc::CallbackServerContext* c,
                                               const PushMsgReq* req, PushMsgReply*) {
  if (req->keys_size() == 0 || !req->has_proto())
    return net::FinishNow(
        c, {grpc::StatusCode::INVALID_ARGUMENT, "push msg: keys and proto are required"});
  Stats::Get().push_msgs->Inc();
  auto data = MakePushData(req->proto());
  std::vector<std::vector<uint64_t>> per_loop(ctx_.loops.size());
  uint64_t misses = 0;
  for (const auto& key : req->keys()) {
    uint64_t id = ctx_.buckets.Get(key);
    if (id == 0) {
      ++misses;
      continue;
    }
    per_loop[Loop::LoopOf(id)].push_back(id);
  }
  if (misses) Stats::Get().push_key_misses->Inc(misses);
  for (size_t i = 0; i < per_loop.size(); ++i) {
    if (!per_loop[i].empty()) ctx_.loops[i]->PostPush(data, req->protoop(), std::move(per_loop[i]));
  }
  return net::FinishNow(c);
}

grpc::ServerUnaryReactor* GrpcService::Broadcast(grpc::CallbackServerContext* c,
                                                 const BroadcastReq* req, BroadcastReply*) {
  if (!req->has_proto())
    return net::FinishNow(c, {grpc::StatusCode::INVALID_ARGUMENT, "broadcast: proto is required"});
  Stats::Get().broadcasts->Inc();
  auto data = MakePushData(req->proto());
  for (Loop* l : ctx_.loops) l->PostBroadcast(data, req->protoop(), req->speed());
  return net::FinishNow(c);
}

grpc::ServerUnaryReactor* GrpcService::BroadcastRoom(grpc::CallbackServerContext* c,
                                                     const BroadcastRoomReq* req,
                                                     BroadcastRoomReply*) {
  if (!req->has_proto() || req->roomid().empty())
    return net::FinishNow(
        c, {grpc::StatusCode::INVALID_ARGUMENT, "broadcast room: roomID and proto are required"});
  Stats::Get().room_broadcasts->Inc();
  uint64_t loops = ctx_.rooms.Loops(req->roomid());
  if (loops == 0) {
    Stats::Get().room_misses->Inc();
    return net::FinishNow(c);
  }
  auto data = MakeRoomPushData(*req);
  for (size_t i = 0; i < ctx_.loops.size(); ++i) {
    if (loops & (uint64_t(1) << i)) ctx_.loops[i]->PostRoom(data, req->roomid());
  }
  return net::FinishNow(c);
}

grpc::ServerUnaryReactor* GrpcService::Rooms(grpc::CallbackServerContext* c, const RoomsReq*,
                                             RoomsReply* reply) {
  for (const auto& [room, n] : ctx_.rooms.Counts()) {
    (*reply->mutable_rooms())[room] = true;
    (*reply->mutable_online())[room] = n;
  }
  return net::FinishNow(c);
}

// The key connected again on another comet: its connection here is closed as a same-key
// reconnect here would close it. Its disconnect leaves the key's session alone, since the
// router's entry no longer points at this comet.
grpc::ServerUnaryReactor* GrpcService::Kick(grpc::CallbackServerContext* c, const KickReq* req,
                                            KickReply* reply) {
  int32_t closed = 0;
  for (const auto& key : req->keys()) {
    uint64_t id = ctx_.buckets.Get(key);
    if (id == 0) continue;
    ++closed;
    ctx_.loops[Loop::LoopOf(id)]->PostClose(id, CloseReason::kKicked);
  }
  VLOG(1) << "comet: kick keys=" << req->keys_size() << " closed=" << closed;
  reply->set_closed(closed);
  return net::FinishNow(c);
}

}  // namespace goim::comet
