#include "benchmarks/fanout/report.h"

#include <cstdio>

#include "pkg/json/json.h"

namespace goim::bench {

void PrintIdle(const Options& o, double connect_s, long long rss0, long long rss1, long long sock0,
               long long sock1) {
  double per = static_cast<double>(rss1 - rss0) / o.clients;
  std::printf("goim-bench idle: %d %s clients authenticated in %.1f s\n", o.clients,
              o.ws ? "ws" : "tcp", connect_s);
  if (o.pid)
    std::printf("  comet RSS      %.1f MB before, %.1f MB after: %.0f bytes per connection\n",
                rss0 / 1e6, rss1 / 1e6, per);
  std::printf(
      "  kernel TCP mem %.1f MB before, %.1f MB after (/proc/net/sockstat, both ends of every "
      "connection)\n",
      sock0 / 1e6, sock1 / 1e6);
  if (!o.json) return;
  std::printf(
      "{\"mode\":\"idle\",\"clients\":%d,\"transport\":\"%s\",\"rss_before\":%lld,\"rss_"
      "after\":%lld,\"rss_per_conn\":%.0f,\"sock_mem_before\":%lld,\"sock_mem_after\":%lld}\n",
      o.clients, o.ws ? "ws" : "tcp", rss0, rss1, per, sock0, sock1);
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
  json::Writer j;
  j.BeginObject().Key("mode").String("fanout").Key("clients").Int(o.clients);
  j.Key("transport").String(o.ws ? "ws" : "tcp").Key("rooms").Int(o.rooms);
  j.Key("rate").Double(o.rate).Key("duration").Double(o.duration).Key("body").Int(o.body);
  j.Key("payload").String(o.json_payload ? "json" : "stamp");
  j.Key("compress").String(o.compress.empty() ? "none" : o.compress);
  j.Key("path").String(o.grpc.empty() ? "http" : "grpc").Key("batch").Int(o.batch);
  j.Key("expected").Int(t.expected).Key("received").Int(t.received).Key("lost").Int(t.lost);
  j.Key("duplicates").Int(t.duplicates).Key("refused").Int(r.refused);
  j.Key("deliveries_per_s").Double(dps);
  j.Key("p50_ms").Double(t.hist.Percentile(0.5) / 1e3);
  j.Key("p99_ms").Double(t.hist.Percentile(0.99) / 1e3);
  j.Key("p999_ms").Double(t.hist.Percentile(0.999) / 1e3);
  j.Key("max_ms").Double(t.hist.max() / 1e3);
  j.Key("loops_cpu_s").Double(r.loops_cpu).Key("process_cpu_s").Double(r.process_cpu);
  j.Key("loops_ms_per_million").Double(mdel > 0 ? r.loops_cpu * 1e3 / mdel : 0);
  j.Key("process_ms_per_million").Double(mdel > 0 ? r.process_cpu * 1e3 / mdel : 0);
  j.Key("rss").Int(r.rss1).Key("rss_per_conn").Double(per_conn).Key("writes").Double(writes);
  j.Key("frames_per_write").Double(writes > 0 ? frames / writes : 0).Key("dropped").Double(dropped);
  j.Key("bytes_per_delivery").Double(bytes * per);
  j.Key("client_bytes_per_delivery").Double(static_cast<double>(r.client_bytes) * per);
  j.Key("compressed_pushes").Double(compressed);
  j.Key("batch_messages").Double(batches > 0 ? batched / batches : 0);
  j.Key("batch_wait_ms").Double(batches > 0 ? wait_us / batches / 1e3 : 0);
  j.Key("client_cpu_s").Double(r.client_cpu).EndObject();
  std::printf("%s\n", j.str().c_str());
}

}  // namespace goim::bench
