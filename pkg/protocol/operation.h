// goim v2 operation codes (api/protocol/operation.go), exactly. New ops take numbers 18 and up.
#pragma once

#include <cstdint>

namespace goim::protocol {

enum Op : int32_t {
  kOpHandshake = 0,
  kOpHandshakeReply = 1,
  kOpHeartbeat = 2,
  kOpHeartbeatReply = 3,
  kOpSendMsg = 4,
  kOpSendMsgReply = 5,
  kOpDisconnectReply = 6,
  kOpAuth = 7,
  kOpAuthReply = 8,
  kOpRaw = 9,           // server -> client batch: concatenated frames
  kOpProtoReady = 10,   // internal signal in goim, never on the wire
  kOpProtoFinish = 11,  // internal signal in goim, never on the wire
  kOpChangeRoom = 12,
  kOpChangeRoomReply = 13,
  kOpSub = 14,
  kOpSubReply = 15,
  kOpUnsub = 16,
  kOpUnsubReply = 17,
  // goim-cpp (room history, issue 14), only to connections that opted in: where the connection
  // now is in its room's history, body as the auth reply's {"epoch":..,"offset":..,"recovered":..};
  // sent inside a push, after a change room (op 13) and when the room's epoch changed.
  kOpHistoryPosition = 18,
};

}  // namespace goim::protocol
