#include "comet/config.h"

#include "pkg/protocol/frame.h"
#include "pkg/websocket/origin.h"

namespace goim::comet {

std::string Config::Validate() const {
  if (std::string err = discovery.Validate(); !err.empty()) return err;
  if (rpcClient.logic.empty()) return "rpcClient.logic: at least one logic address is needed";
  if (rpcClient.timeout <= conf::Duration::zero()) return "rpcClient.timeout: must be > 0";
  if (rpcClient.maxInflight <= 0) return "rpcClient.maxInflight: must be > 0";
  if (tcp.readBufSize < protocol::kMaxPackSize)
    return "tcp.readBufSize: must be >= " + std::to_string(protocol::kMaxPackSize) +
           " (one client frame)";
  if (websocket.maxMessageSize < protocol::kMaxPackSize)
    return "websocket.maxMessageSize: must be >= " + std::to_string(protocol::kMaxPackSize);
  // A whole WebSocket frame (header up to 14 bytes + payload) must fit the read buffer.
  if (websocket.maxMessageSize + 14 > tcp.readBufSize)
    return "websocket.maxMessageSize: must be <= tcp.readBufSize - 14 (" +
           std::to_string(tcp.readBufSize - 14) + ")";
  if (websocket.tlsOpen && (websocket.certFile.empty() || websocket.privateFile.empty()))
    return "websocket.certFile: tlsOpen needs certFile and privateFile";
  for (const auto& o : websocket.allowedOrigins) {
    if (std::string why = websocket::CheckOriginPattern(o); !why.empty())
      return "websocket.allowedOrigins: " + why;
  }
  if (websocket.deflateThreshold < 0) return "websocket.deflateThreshold: must be >= 0";
  if (websocket.maxInflatedSize < protocol::kMaxPackSize || websocket.maxInflatedSize > (1 << 24))
    return "websocket.maxInflatedSize: must be in " + std::to_string(protocol::kMaxPackSize) +
           "..16777216";
  if (protocol.loops < 0 || protocol.loops > 64) return "protocol.loops: must be in 0..64";
  if (protocol.handshakeTimeout <= conf::Duration::zero())
    return "protocol.handshakeTimeout: must be > 0";
  if (protocol.svrProto <= 0) return "protocol.svrProto: must be > 0";
  if (protocol.cliProto <= 0 || protocol.cliProto > 1024)
    return "protocol.cliProto: must be in 1..1024";
  if (protocol.maxPreAuthFrames < 0) return "protocol.maxPreAuthFrames: must be >= 0";
  if (protocol.logicHeartbeatMin <= conf::Duration::zero() ||
      protocol.logicHeartbeatMax < protocol.logicHeartbeatMin)
    return "protocol.logicHeartbeatMax: must be >= logicHeartbeatMin > 0";
  if (protocol.slowBytes <= 0) return "protocol.slowBytes: must be > 0";
  if (protocol.slowTime <= conf::Duration::zero()) return "protocol.slowTime: must be > 0";
  if (protocol.writeBatch <= 0 || protocol.writeBatch > 512)
    return "protocol.writeBatch: must be in 1..512";
  if (protocol.maxWatchOps <= 0) return "protocol.maxWatchOps: must be > 0";
  if (protocol.compressThreshold < 0) return "protocol.compressThreshold: must be >= 0";
  if (protocol.historyHold <= 0) return "protocol.historyHold: must be > 0";
  if (bucket.size <= 0) return "bucket.size: must be > 0";
  if (online.interval <= conf::Duration::zero()) return "online.interval: must be > 0";
  return "";
}

}  // namespace goim::comet
