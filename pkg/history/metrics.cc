#include "pkg/history/metrics.h"

namespace goim::history {

namespace {
Metrics Make() {
  metrics::Registry& r = metrics::Registry::Default();
  const char* appends = "Room messages appended to the history store by result";
  const char* epochs = "Room epochs started by reason";
  const char* reads = "History reads by whether everything asked for was given";
  const char* errors = "History store calls that failed (store unreachable, timeout, bad input)";
  Metrics m;
  m.appended = r.NewCounter("goim_history_appends_total{result=\"appended\"}", appends);
  m.duplicates = r.NewCounter("goim_history_appends_total{result=\"duplicate\"}", appends);
  m.stale = r.NewCounter("goim_history_appends_total{result=\"stale\"}", appends);
  m.epochs_new = r.NewCounter("goim_history_epochs_total{reason=\"new\"}", epochs);
  m.epochs_queue_restarted =
      r.NewCounter("goim_history_epochs_total{reason=\"queue_restarted\"}", epochs);
  m.epochs_offset_limit =
      r.NewCounter("goim_history_epochs_total{reason=\"offset_limit\"}", epochs);
  m.reads_recovered = r.NewCounter("goim_history_reads_total{recovered=\"true\"}", reads);
  m.reads_unrecovered = r.NewCounter("goim_history_reads_total{recovered=\"false\"}", reads);
  m.append_errors = r.NewCounter("goim_history_store_errors_total{op=\"append\"}", errors);
  m.read_errors = r.NewCounter("goim_history_store_errors_total{op=\"read\"}", errors);
  m.evicted_rooms = r.NewCounter("goim_history_memory_evicted_rooms_total",
                                 "Rooms dropped from the memory store for memory.maxBytes");
  m.evicted_messages =
      r.NewCounter("goim_history_memory_evicted_messages_total",
                   "Messages dropped from the memory store with their room for memory.maxBytes");
  m.expired_rooms = r.NewCounter("goim_history_memory_expired_rooms_total",
                                 "Rooms dropped from the memory store after ttl");
  m.memory_bytes = r.NewGauge("goim_history_memory_bytes", "Bytes held by the memory store");
  m.memory_rooms = r.NewGauge("goim_history_memory_rooms", "Rooms held by the memory store");
  m.redis_connects =
      r.NewCounter("goim_history_redis_connects_total", "Connections opened to Redis");
  m.redis_script_loads = r.NewCounter("goim_history_redis_script_loads_total",
                                      "Lua scripts loaded into Redis (startup, NOSCRIPT)");
  return m;
}
}  // namespace

Metrics& Metrics::Get() {
  static Metrics m = Make();
  return m;
}

}  // namespace goim::history
