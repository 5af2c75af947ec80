#!/usr/bin/env bash
# The table behind docs/benchmarks.md's compression section, from the JSON lines of
# `scripts/bench.sh compress` (default build/bench/compress.jsonl). Per frames-per-write, transport
# and encoding: bytes per delivery and how many times fewer than uncompressed, the comet's loop
# CPU per million deliveries, the floor's (the same bytes written by a minimal loop), and the
# ratios comet/floor and compressed/uncompressed computed within each repetition, as min-max
# ranges over the repetitions. Rows "(base)" are GOIM_BENCH_BASE's uncompressed runs; their last
# column is this tree's uncompressed CPU over the base binary's (above 1: this tree costs more).
set -euo pipefail
file=${1:-build/bench/compress.jsonl}
awk '
function field(line, key,   v) {
  if (!match(line, "\"" key "\":(\"[^\"]*\"|[^,}]*)")) return ""
  v = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
  gsub(/"/, "", v)
  return v
}
function range(a, b) {
  if (a == "") return "-"
  return (sprintf("%.2f", a) == sprintf("%.2f", b)) ? sprintf("%.2f", a) : sprintf("%.2f-%.2f", a, b)
}
function whole(a, b) { return sprintf("%.0f", a) == sprintf("%.0f", b) ? sprintf("%.0f", a) : sprintf("%.0f-%.0f", a, b) }
function span(v) { if (!(lo_set)) { lo = v; hi = v; lo_set = 1 } else { if (v < lo) lo = v; if (v > hi) hi = v } }
{
  s = field($0, "series"); r = field($0, "rep"); b = field($0, "batch")
  t = field($0, "transport"); c = field($0, "compress")
  k = b SUBSEP t SUBSEP c
  cpu[s, k, r] = field($0, "loops_ms_per_million") + 0
  bytes[s, k, r] = field($0, "bytes_per_delivery") + 0
  if (s != "floor" && field($0, "lost") + 0 > 0) lost = lost " " s "/" b "/" t "/" c "/rep" r
  if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
  if (!(r in reps)) { reps[r] = 1; rl[++nr] = r }
}
END {
  printf "| frames/write | transport | encoding | bytes/delivery | fewer bytes | comet loop CPU (ms per million) | floor CPU | comet / floor | CPU vs uncompressed |\n"
  printf "|---|---|---|---|---|---|---|---|---|\n"
  for (i = 1; i <= nk; i++) {
    split(keys[i], p, SUBSEP); k = keys[i]; none = p[1] SUBSEP p[2] SUBSEP "none"
    for (pass = 1; pass <= 2; pass++) {
      s = pass == 1 ? "comet" : "base"
      if (pass == 2 && !((s, k, rl[1]) in cpu)) continue
      nb = 0; sb = 0
      lo_set = 0; for (j = 1; j <= nr; j++) if ((s, k, rl[j]) in cpu) { span(bytes[s, k, rl[j]]); sb += bytes[s, k, rl[j]]; nb++ }
      by = nb ? sb / nb : 0
      lo_set = 0; for (j = 1; j <= nr; j++) if ((s, k, rl[j]) in bytes && ("comet", none, rl[j]) in bytes && bytes[s, k, rl[j]] > 0) span(bytes["comet", none, rl[j]] / bytes[s, k, rl[j]])
      fewer = lo_set ? range(lo, hi) : "-"
      lo_set = 0; for (j = 1; j <= nr; j++) if ((s, k, rl[j]) in cpu) span(cpu[s, k, rl[j]])
      cc = lo_set ? whole(lo, hi) : "-"
      lo_set = 0; for (j = 1; j <= nr; j++) if (("floor", k, rl[j]) in cpu) span(cpu["floor", k, rl[j]])
      fc = lo_set ? whole(lo, hi) : "-"
      lo_set = 0; for (j = 1; j <= nr; j++) if ((s, k, rl[j]) in cpu && ("floor", k, rl[j]) in cpu && cpu["floor", k, rl[j]] > 0) span(cpu[s, k, rl[j]] / cpu["floor", k, rl[j]])
      ratio = lo_set ? range(lo, hi) : "-"
      # comet rows: this encoding over uncompressed; base rows: this tree over the base binary.
      lo_set = 0
      for (j = 1; j <= nr; j++) if ((s, k, rl[j]) in cpu && ("comet", none, rl[j]) in cpu && cpu[s, k, rl[j]] > 0 && cpu["comet", none, rl[j]] > 0)
        span(pass == 1 ? cpu[s, k, rl[j]] / cpu["comet", none, rl[j]] : cpu["comet", none, rl[j]] / cpu[s, k, rl[j]])
      vs = lo_set ? range(lo, hi) : "-"
      printf "| %s | %s | %s%s | %.1f | %s | %s | %s | %s | %s |\n", p[1], p[2], p[3], pass == 2 ? " (base)" : "", by, fewer, cc, fc, ratio, vs
    }
  }
  if (lost != "") printf "\nLOSS in:%s\n", lost
}' "$file"
