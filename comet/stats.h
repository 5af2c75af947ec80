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
  // Compression, indexed by Variant (kFrames unused): variants made (once per push per comet),
  // and pushes over the threshold left uncompressed because compressing did not shrink them.
  metrics::Counter* push_compressed[static_cast<int>(Variant::kCount)];
  metrics::Counter* push_compress_skipped[static_cast<int>(Variant::kCount)];
  metrics::Counter* compress_unknown;     // auth "compress" values this comet does not know
  metrics::Counter* ws_deflate_accepted;  // permessage-deflate negotiated
  metrics::Counter* ws_deflate_declined;  // offers refused (RFC 7692 7.1), upgraded without
  // Compressed client messages refused (connection closed): inflating past
  // websocket.maxInflatedSize (Close 1009), not deflate data (1007), cut short (1007).
  metrics::Counter* ws_inflate_too_large;
  metrics::Counter* ws_inflate_corrupt;
  metrics::Counter* ws_inflate_truncated;
  // Room history (comet/channel_history.cc): connections positioned in a room's history (at auth
  // or a change room) by whether everything asked for was given, the messages replayed to them,
  // History calls to logic that failed, room frames an opted-in connection was not sent because it
  // had them (the replay's, or re-consumed ones), op-18 notices of a new epoch on live pushes,
  // and room pushes whose offsets did not match their frames (ignored).
  metrics::Counter* history_recovered;
  metrics::Counter* history_unrecovered;
  metrics::Counter* history_replayed;
  metrics::Counter* history_errors;
  metrics::Counter* history_skipped;
  metrics::Counter* history_epoch_changes;
  metrics::Counter* history_bad_offsets;

  static Stats& Get();
};

}  // namespace goim::comet
