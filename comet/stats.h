// comet::Stats: the comet's counters, one set per process (see /metrics). Every drop and forced
// close is counted here, by reason.
#pragma once

#include "comet/channel.h"
#include "pkg/metrics/metrics.h"

namespace goim::comet {

struct Stats {
  metrics::Counter* accepted;
  metrics::Gauge* connections;
  metrics::Gauge* tcp_connections;
  metrics::Gauge* ws_connections;
  metrics::SumGauge* read_buffers;  // pooled read buffers held (each loop's pool, at scrape)
  metrics::Counter* closes[static_cast<int>(CloseReason::kCount)];
  metrics::Counter* auth_ok;
  metrics::Counter* auth_failed;
  metrics::Counter* pre_auth_frames;
  // A malformed goim frame, on TCP or inside a WebSocket message (however fragmented), is a
  // proto error; a violation of RFC 6455 framing (websocket::MessageReader) a ws error.
  metrics::Counter* proto_errors;
  metrics::Counter* ws_errors;
  metrics::Counter* ws_rejected;  // bad upgrade requests (wrong path, missing headers, origin)
  metrics::Counter*
      ws_origin_rejected;  // of which: a browser origin not in websocket.allowedOrigins
  metrics::Counter* heartbeats;
  metrics::Counter* watch_ops_refused;  // ops beyond protocol.maxWatchOps, ignored
  metrics::Counter* pushes_dropped;     // full per-connection queue
  metrics::Counter* pushes_queued;      // push references queued on connections
  metrics::Counter* frames_written;     // goim frames (inner frames of pushes + replies) written
  metrics::Counter* writes;             // write syscalls (gather-writes) that sent bytes
  metrics::Counter* write_waits;        // writes the socket could not take at once
  metrics::Counter* bytes_written;
  metrics::Counter* room_broadcasts;  // BroadcastRoom calls handled
  metrics::Counter* room_misses;      // BroadcastRoom for a room with no member here
  metrics::Counter* push_msgs;        // PushMsg calls
  metrics::Counter* push_key_misses;  // PushMsg keys not connected here
  metrics::Counter* broadcasts;       // Broadcast calls
  metrics::Counter* logic_errors;     // failed calls to logic

  static Stats& Get();
};

}  // namespace goim::comet
