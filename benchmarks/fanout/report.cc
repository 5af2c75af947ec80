#include "benchmarks/fanout/report.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "pkg/json/json.h"

namespace goim::bench {

void PrintIdle(const Options& o, const IdleRun& r) {
  double per = static_cast<double>(r.rss1 - r.rss0) / o.clients;
  std::printf("goim-bench idle: %d %s clients authenticated in %.1f s\n", o.clients,
              o.ws ? "ws" : "tcp", r.connect_s);
  if (o.history >= 0)
    std::printf("  history        %d asked per client; %lld frames received (replayed)\n",
                o.history, static_cast<long long>(r.frames));
  if (o.pid) {
    std::printf("  comet RSS      %.1f MB before, %.1f MB after: %.0f bytes per connection\n",
                r.rss0 / 1e6, r.rss1 / 1e6, per);
    std::printf("  comet CPU      %.2f s from the first dial to the reading (%.0f us per client)\n",
                r.comet_cpu, r.comet_cpu * 1e6 / o.clients);
  }
  std::printf(
      "  kernel TCP mem %.1f MB before, %.1f MB after (/proc/net/sockstat, both ends of every "
      "connection)\n",
      r.sock0 / 1e6, r.sock1 / 1e6);
  if (!o.json) return;
  std::printf(
      "{\"mode\":\"idle\",\"clients\":%d,\"transport\":\"%s\",\"history\":%d,\"connect_s\":%.3f,"
      "\"comet_cpu_s\":%.3f,\"frames\":%lld,\"rss_before\":%lld,\"rss_after\":%lld,"
      "\"rss_per_conn\":%.0f,\"sock_mem_before\":%lld,\"sock_mem_after\":%lld}\n",
      o.clients, o.ws ? "ws" : "tcp", o.history, r.connect_s, r.comet_cpu,
      static_cast<long long>(r.frames), r.rss0, r.rss1, per, r.sock0, r.sock1);
}

void PrintFanout(const Options& o, const FanoutRun& r) {
  auto delta = [&r](const std::string& k) {
    auto b = r.m0.find(k), a = r.m1.find(k);
    return (a == r.m1.end() ? 0 : a->second) - (b == r.m0.end() ? 0 : b->second);
  };
  const WorkerResult& t = r.total;
  const double received = static_cast<double>(t.received), mdel = received / 1e6;
  const double dps = received / r.window;
  const double writes = delta("goim_comet_writes_total");
  const double frames = delta("goim_comet_frames_written_total");
  const double bytes = delta("goim_comet_bytes_written_total");
  const double batches = delta("goim_job_room_batches_total");
  const double batched = delta("goim_job_room_batched_messages_total");
  const double wait_us = delta("goim_job_room_batch_wait_us_total");
  const double dropped = delta("goim_comet_push_dropped_total");
  const double compressed =
      o.compress.empty()
          ? 0
          : delta("goim_comet_push_compressed_total{encoding=\"" + o.compress + "\"}");
  const double per_conn = o.pid ? static_cast<double>(r.rss1 - r.rss0) / o.clients : 0;
  const double per = received > 0 ? 1 / received : 0;
  const std::string via =
      o.grpc.empty() ? "logic HTTP " + o.logic
                     : "comet gRPC " + o.grpc + ", " + std::to_string(o.batch) + " frames/call";
  std::printf(
      "goim-bench fanout: %d %s clients in %d room(s), %.0f msg/s per room for %.0f s, body %d B "
      "(%s), compress %s, via %s\n",
      o.clients, o.ws ? "ws" : "tcp", o.rooms, o.rate, o.duration, o.body,
      o.json_payload ? "json" : "stamp", o.compress.empty() ? "none" : o.compress.c_str(),
      via.c_str());
  std::printf("  pushes        %lld accepted, %lld refused; clients connected in %.1f s\n",
              static_cast<long long>(r.seqs - r.refused), static_cast<long long>(r.refused),
              r.connect_s);
  std::printf("  deliveries    %lld expected, %lld received, %lld lost, %lld duplicates\n",
              static_cast<long long>(t.expected), static_cast<long long>(t.received),
              static_cast<long long>(t.lost), static_cast<long long>(t.duplicates));
  std::printf("  throughput    %.0f deliveries/s (push window %.1f s, drained after %.1f s)\n", dps,
              r.window, r.span);
  std::printf(
      "  latency       p50 %.1f ms  p99 %.1f ms  p999 %.1f ms  max %.1f ms (push accepted -> "
      "client receipt)\n",
      t.hist.Percentile(0.5) / 1e3, t.hist.Percentile(0.99) / 1e3, t.hist.Percentile(0.999) / 1e3,
      t.hist.max() / 1e3);
  std::printf(
      "                p50 %.1f ms  p99 %.1f ms  p999 %.1f ms  max %.1f ms (push sent -> client "
      "receipt)\n",
      t.sent.Percentile(0.5) / 1e3, t.sent.Percentile(0.99) / 1e3, t.sent.Percentile(0.999) / 1e3,
      t.sent.max() / 1e3);
  if (o.pid) {
    std::printf(
        "  comet CPU     loops %.2f s, process %.2f s: %.0f ms (loops) / %.0f ms (process) per "
        "million deliveries\n",
        r.loops_cpu, r.process_cpu, r.loops_cpu * 1e3 / mdel, r.process_cpu * 1e3 / mdel);
    std::printf(
        "  comet memory  RSS %.1f MB; +%.1f MB for %d connections = %.0f bytes/connection\n",
        r.rss1 / 1e6, (r.rss1 - r.rss0) / 1e6, o.clients, per_conn);
  }
  if (!o.metrics.empty()) {
    std::printf(
        "  writes        %.0f writes, %.2f frames/write, %.4f writes/delivery; %.0f pushes dropped "
        "by full queues\n",
        writes, writes > 0 ? frames / writes : 0, writes * per, dropped);
    std::printf("  bytes         %.1f bytes/delivery written by the comet", bytes * per);
    if (!o.compress.empty())
      std::printf("; %.0f pushes compressed (%s)", compressed, o.compress.c_str());
    std::printf("\n");
    if (batches > 0)
      std::printf("  job batching  %.0f batches, %.1f messages/batch, %.1f ms mean wait\n", batches,
                  batched / batches, wait_us / batches / 1e3);
  }
  std::printf("  client        %.2f s CPU; %.1f bytes/delivery read\n", r.client_cpu,
              static_cast<double>(r.client_bytes) * per);
  if (!o.json) return;
  using json::Float64;
  json::Json j = {{"mode", "fanout"},
                  {"clients", o.clients},
                  {"transport", o.ws ? "ws" : "tcp"},
                  {"rooms", o.rooms},
                  {"rate", Float64(o.rate)},
                  {"duration", Float64(o.duration)},
                  {"body", o.body},
                  {"payload", o.json_payload ? "json" : "stamp"},
                  {"compress", o.compress.empty() ? "none" : o.compress},
                  {"path", o.grpc.empty() ? "http" : "grpc"},
                  {"batch", o.batch},
                  {"expected", t.expected},
                  {"received", t.received},
                  {"lost", t.lost},
                  {"duplicates", t.duplicates},
                  {"refused", r.refused},
                  {"deliveries_per_s", Float64(dps)},
                  {"p50_ms", Float64(t.hist.Percentile(0.5) / 1e3)},
                  {"p99_ms", Float64(t.hist.Percentile(0.99) / 1e3)},
                  {"p999_ms", Float64(t.hist.Percentile(0.999) / 1e3)},
                  {"max_ms", Float64(t.hist.max() / 1e3)},
                  {"sent_p50_ms", Float64(t.sent.Percentile(0.5) / 1e3)},
                  {"sent_p99_ms", Float64(t.sent.Percentile(0.99) / 1e3)},
                  {"loops_cpu_s", Float64(r.loops_cpu)},
                  {"process_cpu_s", Float64(r.process_cpu)},
                  {"loops_ms_per_million", Float64(mdel > 0 ? r.loops_cpu * 1e3 / mdel : 0)},
                  {"process_ms_per_million", Float64(mdel > 0 ? r.process_cpu * 1e3 / mdel : 0)},
                  {"rss", r.rss1},
                  {"rss_per_conn", Float64(per_conn)},
                  {"writes", Float64(writes)},
                  {"frames_per_write", Float64(writes > 0 ? frames / writes : 0)},
                  {"dropped", Float64(dropped)},
                  {"bytes_per_delivery", Float64(bytes * per)},
                  {"client_bytes_per_delivery", Float64(static_cast<double>(r.client_bytes) * per)},
                  {"compressed_pushes", Float64(compressed)},
                  {"batch_messages", Float64(batches > 0 ? batched / batches : 0)},
                  {"batch_wait_ms", Float64(batches > 0 ? wait_us / batches / 1e3 : 0)},
                  {"client_cpu_s", Float64(r.client_cpu)}};
  std::printf("%s\n", json::Dump(j).c_str());
}

}  // namespace goim::bench
