// The history store's metrics (goim_history_*), shared by both implementations; created once per
// process, so standalone's services count into the same families.
#pragma once

#include "pkg/metrics/metrics.h"

namespace goim::history {

struct Metrics {
  metrics::Counter* appended;    // messages stored under a new offset
  metrics::Counter* duplicates;  // re-consumed messages answered with their first offset
  metrics::Counter* stale;       // re-consumed after leaving retention: no offset
  metrics::Counter* epochs_new;  // rooms whose history started (first message, expiry, wipe)
  metrics::Counter* epochs_queue_restarted;  // new epochs because the queue started over
  metrics::Counter* epochs_offset_limit;     // new epochs because maxOffset was reached
  metrics::Counter* reads_recovered;
  metrics::Counter* reads_unrecovered;  // replies with recovered:false
  metrics::Counter* append_errors;
  metrics::Counter* read_errors;
  metrics::Counter* evicted_rooms;  // memory store: rooms dropped for memory.maxBytes
  metrics::Counter* evicted_messages;
  metrics::Counter* expired_rooms;  // memory store: rooms dropped after ttl
  metrics::Gauge* memory_bytes;
  metrics::Gauge* memory_rooms;
  metrics::Counter* redis_connects;  // connections opened (the first and every reconnect)
  metrics::Counter* redis_script_loads;

  static Metrics& Get();
};

}  // namespace goim::history
