#include "comet/stats.h"

namespace goim::comet {

const char* CloseReasonName(CloseReason r) {
  switch (r) {
    case CloseReason::kPeerClosed:
      return "peer_closed";
    case CloseReason::kIoError:
      return "io_error";
    case CloseReason::kProtocol:
      return "protocol_error";
    case CloseReason::kHandshakeTimeout:
      return "handshake_timeout";
    case CloseReason::kHeartbeatTimeout:
      return "heartbeat_timeout";
    case CloseReason::kAuthFailed:
      return "auth_failed";
    case CloseReason::kKicked:
      return "kicked";
    case CloseReason::kRingFull:
      return "ring_full";
    case CloseReason::kSlow:
      return "slow_consumer";
    case CloseReason::kPreAuthFlood:
      return "pre_auth_flood";
    case CloseReason::kWsClose:
      return "ws_close";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kCount:
      break;
  }
  return "unknown";
}

Stats& Stats::Get() {
  static Stats* s = [] {
    auto* s = new Stats();
    metrics::Registry& r = metrics::Registry::Default();
    s->accepted = r.NewCounter("goim_comet_accepted_total", "Connections accepted");
    s->connections = r.NewGauge("goim_comet_connections", "Open connections");
    s->tcp_connections = r.NewGauge("goim_comet_connections_by_transport{transport=\"tcp\"}",
                                    "Open connections by transport");
    s->ws_connections = r.NewGauge("goim_comet_connections_by_transport{transport=\"ws\"}",
                                   "Open connections by transport");
    s->read_buffers = r.NewSumGauge(
        "goim_comet_read_buffers",
        "Pooled read buffers held by connections (unread bytes or a frame in progress)");
    for (int i = 0; i < static_cast<int>(CloseReason::kCount); ++i) {
      s->closes[i] = r.NewCounter(std::string("goim_comet_closed_total{reason=\"") +
                                      CloseReasonName(static_cast<CloseReason>(i)) + "\"}",
                                  "Connections closed, by reason");
    }
    s->auth_ok = r.NewCounter("goim_comet_auth_total{result=\"ok\"}", "Auth attempts by result");
    s->auth_failed =
        r.NewCounter("goim_comet_auth_total{result=\"failed\"}", "Auth attempts by result");
    s->pre_auth_frames =
        r.NewCounter("goim_comet_pre_auth_frames_total", "Frames received before auth and ignored");
    s->proto_errors =
        r.NewCounter("goim_comet_proto_errors_total",
                     "Malformed goim frames, on TCP or in a WebSocket message of one or more "
                     "fragments (connection closed)");
    s->watch_ops_refused =
        r.NewCounter("goim_comet_watch_ops_refused_total",
                     "Ops to watch (auth accepts, OpSub) ignored over protocol.maxWatchOps");
    s->ws_errors = r.NewCounter("goim_comet_ws_errors_total",
                                "WebSocket framing violations (connection closed)");
    s->ws_rejected =
        r.NewCounter("goim_comet_ws_rejected_total", "WebSocket upgrade requests refused");
    s->ws_origin_rejected =
        r.NewCounter("goim_comet_ws_origin_rejected_total",
                     "WebSocket upgrades refused for an Origin not in websocket.allowedOrigins");
    s->heartbeats = r.NewCounter("goim_comet_heartbeats_total", "Client heartbeats");
    s->pushes_dropped =
        r.NewCounter("goim_comet_push_dropped_total", "Pushes dropped on a full connection queue");
    s->pushes_queued = r.NewCounter("goim_comet_push_queued_total", "Pushes queued on connections");
    s->frames_written =
        r.NewCounter("goim_comet_frames_written_total", "goim frames written to clients");
    s->writes = r.NewCounter("goim_comet_writes_total", "Write syscalls that sent bytes");
    s->write_waits =
        r.NewCounter("goim_comet_write_waits_total", "Writes the socket could not take at once");
    s->bytes_written = r.NewCounter("goim_comet_bytes_written_total", "Bytes written to clients");
    s->room_broadcasts = r.NewCounter("goim_comet_broadcast_room_total", "BroadcastRoom calls");
    s->room_misses = r.NewCounter("goim_comet_broadcast_room_miss_total",
                                  "BroadcastRoom calls for rooms with no member here");
    s->push_msgs = r.NewCounter("goim_comet_push_msg_total", "PushMsg calls");
    s->push_key_misses =
        r.NewCounter("goim_comet_push_key_miss_total", "PushMsg keys not connected here");
    s->broadcasts = r.NewCounter("goim_comet_broadcast_total", "Broadcast calls");
    s->logic_errors = r.NewCounter("goim_comet_logic_errors_total", "Failed calls to logic");
    return s;
  }();
  return *s;
}

}  // namespace goim::comet
