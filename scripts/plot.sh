#!/usr/bin/env bash
# Draws the plots of docs/benchmarks.md from the fan-out summaries scripts/bench.sh sweep writes.
#   scripts/plot.sh [build/bench/sweep.jsonl] [output dir]
# Writes latency-vs-rate.svg, deliveries-vs-clients.svg and cpu-vs-window.svg (gnuplot-nox,
# installed by scripts/setup.sh --bench) and prints each series as a table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
in=${1:-$root/build/bench/sweep.jsonl}
out=${2:-$(dirname "$in")}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot is missing (scripts/setup.sh --bench)" >&2; exit 1; }
[[ -s "$in" ]] || { echo "plot.sh: no summaries in $in (run scripts/bench.sh sweep)" >&2; exit 1; }

# One series as whitespace-separated columns: x then the named fields, sorted by x.
table() {
  local series=$1; shift
  awk -v series="$series" -v fields="$*" '
    function field(line, key,   m) {
      if (match(line, "\"" key "\":(\"[^\"]*\"|[^,}]*)")) {
        m = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
        gsub(/"/, "", m); return m
      }
      return "?"
    }
    field($0, "series") == series {
      n = split(fields, f, " "); row = field($0, "x")
      for (i = 1; i <= n; i++) row = row " " field($0, f[i])
      print row
    }' "$in" | sort -n
}

rate=$(mktemp) clients=$(mktemp) window=$(mktemp)
trap 'rm -f "$rate" "$clients" "$window"' EXIT
table rate p50_ms p99_ms max_ms loops_ms_per_million frames_per_write >"$rate"
table clients deliveries_per_s loops_ms_per_million p99_ms rss_per_conn >"$clients"
table window loops_ms_per_million frames_per_write p50_ms p99_ms >"$window"

echo "rate (msg/s) | p50 ms | p99 ms | max ms | comet loop ms per million | frames/write"; cat "$rate"
echo "clients | deliveries/s | comet loop ms per million | p99 ms | RSS bytes/conn"; cat "$clients"
echo "window ms | comet loop ms per million | frames/write | p50 ms | p99 ms"; cat "$window"

gnuplot <<EOF
set terminal svg size 720,420 font "sans,12"
set grid
set key top left

set output "$out/latency-vs-rate.svg"
set title "Push-to-receipt latency, 10,000 TCP clients in one room (adaptive window)"
set xlabel "pushes per second into the room"
set ylabel "latency (ms)"
set logscale x 2
plot "$rate" using 1:2 with linespoints title "p50", \
     "$rate" using 1:3 with linespoints title "p99", \
     "$rate" using 1:4 with linespoints title "max"
unset logscale x

set output "$out/deliveries-vs-clients.svg"
set title "Deliveries per second at 40 pushes/s into one room"
set xlabel "clients in the room"
set ylabel "deliveries per second"
set y2label "comet loop CPU ms per million deliveries"
set ytics nomirror
set y2tics
plot "$clients" using 1:2 with linespoints title "deliveries/s", \
     "$clients" using 1:3 axes x1y2 with linespoints title "comet CPU per million"

set output "$out/cpu-vs-window.svg"
set title "The batching trade-off: 10,000 clients, 40 pushes/s, fixed window"
set xlabel "batching window (ms)"
set ylabel "comet loop CPU ms per million deliveries"
set y2label "latency (ms)"
set logscale x
plot "$window" using 1:2 with linespoints title "CPU per million deliveries", \
     "$window" using 1:5 axes x1y2 with linespoints title "p99 latency"
EOF
echo "plot.sh: wrote $out/latency-vs-rate.svg $out/deliveries-vs-clients.svg $out/cpu-vs-window.svg"
