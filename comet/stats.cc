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
    case CloseReason::kHistoryOverflow:
      return "history_overflow";
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
    for (int v = 1; v < static_cast<int>(Variant::kCount); ++v) {
      const std::string enc =
          std::string("{encoding=\"") + VariantName(static_cast<Variant>(v)) + "\"}";
      s->push_compressed[v] =
          r.NewCounter("goim_comet_push_compressed_total" + enc,
                       "Pushes compressed for the receivers that asked (once per push per comet)");
      s->push_compress_skipped[v] = r.NewCounter(
          "goim_comet_push_compress_skipped_total" + enc,
          "Pushes over the threshold sent uncompressed: compressing did not make them smaller");
    }
    s->push_compressed[0] = s->push_compress_skipped[0] = nullptr;
    s->compress_unknown = r.NewCounter(
        "goim_comet_compress_unknown_total",
        "Auth compress values this comet does not know (the connection gets plain frames)");
    s->ws_deflate_accepted = r.NewCounter("goim_comet_ws_deflate_total{result=\"accepted\"}",
                                          "permessage-deflate offers, by result");
    s->ws_deflate_declined = r.NewCounter("goim_comet_ws_deflate_total{result=\"declined\"}",
                                          "permessage-deflate offers, by result");
    const char* kInflate =
        "Compressed client messages refused, by error (the connection is closed)";
    s->ws_inflate_too_large =
        r.NewCounter("goim_comet_ws_inflate_errors_total{error=\"too_large\"}", kInflate);
    s->ws_inflate_corrupt =
        r.NewCounter("goim_comet_ws_inflate_errors_total{error=\"corrupt\"}", kInflate);
    s->ws_inflate_truncated =
        r.NewCounter("goim_comet_ws_inflate_errors_total{error=\"truncated\"}", kInflate);
    const char* kPositions =
        "Connections positioned in a room's history (auth, change room), by whether everything "
        "asked for was given";
    s->history_recovered =
        r.NewCounter("goim_comet_history_positions_total{recovered=\"true\"}", kPositions);
    s->history_unrecovered =
        r.NewCounter("goim_comet_history_positions_total{recovered=\"false\"}", kPositions);
    s->history_replayed = r.NewCounter("goim_comet_history_replayed_messages_total",
                                       "History messages replayed to connections");
    s->history_errors =
        r.NewCounter("goim_comet_history_errors_total",
                     "History calls to logic that failed (the connection gets recovered:false)");
    s->history_skipped = r.NewCounter(
        "goim_comet_history_skipped_frames_total",
        "Room frames not sent to an opted-in connection that had them (replayed, re-consumed)");
    s->history_epoch_changes =
        r.NewCounter("goim_comet_history_epoch_changes_total",
                     "Room pushes that told opted-in connections of a new epoch (op 18)");
    s->history_bad_offsets =
        r.NewCounter("goim_comet_history_bad_offsets_total",
                     "Room pushes whose offsets did not match their frames (offsets ignored)");
    return s;
  }();
  return *s;
}

}  // namespace goim::comet
