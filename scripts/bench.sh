#!/usr/bin/env bash
# Benchmarks. Each subcommand builds what it needs, raises the open-file limit to the hard limit
# (20,000 here: one comet holds < 20k connections), starts goim-standalone on its usual ports,
# runs goim-bench against it, and stops it.
#   scripts/bench.sh fanout [goim-bench fanout options]   e.g. --clients 10000 --rate 40 --duration 30
#   scripts/bench.sh idle   [--clients 19000] [--transport ws]
#   scripts/bench.sh micro                                 Google Benchmark micro benchmarks
#   scripts/bench.sh sweep                                 the series behind docs/benchmarks.md's plots
# GOIM_BENCH_SET="job.room.writesPerSecond=100000 comet.protocol.loops=1" passes -set overrides
# to goim-standalone. Client and server share the machine's cores: goim-bench reports both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$root/build/bench
mkdir -p "$out"

build() {
  scripts/setup.sh --build >/dev/null
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

sa_pid=""
start_standalone() {
  for p in 3101 3102 3109 3111 3119 3129; do
    port_open $p && { echo "bench.sh: port $p is in use (is a goim server running?)" >&2; exit 1; }
  done
  local sets=()
  for s in ${GOIM_BENCH_SET:-}; do sets+=(-set "$s"); done
  build/cmd/goim-standalone -conf configs/standalone.yaml "${sets[@]}" >"$out/standalone.log" 2>&1 &
  sa_pid=$!
  for _ in $(seq 1 100); do port_open 3101 && port_open 3111 && port_open 3109 && return; sleep 0.1; done
  echo "bench.sh: goim-standalone did not start; see $out/standalone.log" >&2; exit 1
}
stop_standalone() {
  [[ -n "$sa_pid" ]] || return 0
  kill -INT "$sa_pid" 2>/dev/null || true
  wait "$sa_pid" 2>/dev/null || true
  sa_pid=""
}
trap stop_standalone EXIT

ulimit -n "$(ulimit -Hn)"

fanout() {
  build goim-standalone goim-bench
  start_standalone
  build/benchmarks/goim-bench fanout --pid "$sa_pid" --metrics 127.0.0.1:3111 "$@"
  stop_standalone
}

idle() {
  build goim-standalone goim-bench
  start_standalone
  local args=("$@")
  # WebSocket clients dial the WebSocket port.
  for a in "$@"; do [[ "$a" == ws ]] && args+=(--comet 127.0.0.1:3102); done
  build/benchmarks/goim-bench idle --pid "$sa_pid" --settle 12 "${args[@]}"
  stop_standalone
}

micro() {
  build pkg_bench comet_bench job_bench
  for b in pkg_bench comet_bench job_bench; do build/benchmarks/$b --benchmark_min_time=0.5; done
}

# One fan-out run per line of the sweep: "<label> <GOIM_BENCH_SET> <goim-bench args>"; the JSON
# summaries go to build/bench/sweep.jsonl, then the plots are drawn (scripts/plot.sh).
sweep() {
  build goim-standalone goim-bench
  : >"$out/sweep.jsonl"
  run() {
    local label=$1 set=$2; shift 2
    echo "== $label: $*" >&2
    GOIM_BENCH_SET="$set" start_standalone
    build/benchmarks/goim-bench fanout --pid "$sa_pid" --metrics 127.0.0.1:3111 --json "$@" \
      | tee "$out/last.txt" | tail -1 | sed "s/^{/{\"label\":\"$label\",/" >>"$out/sweep.jsonl"
    sed '$d' "$out/last.txt" >&2
    stop_standalone
  }
  # Latency and CPU against the push rate, 10,000 clients in one room, default (adaptive) window.
  for r in 10 20 40 80; do run rate "" --clients 10000 --rate $r --duration 20; done
  # Deliveries/s against clients at 40 msg/s.
  for n in 1000 2000 5000 10000 19000; do run clients "" --clients $n --rate 40 --duration 20; done
  # CPU per delivery against the batching window (fixed windows, adaptive off), 10,000 clients.
  for w in 0ms 25ms 50ms 100ms 200ms 500ms 1s; do
    run window "job.room.adaptive=false job.room.signal=$w" --clients 10000 --rate 40 --duration 20
  done
  # Frames per write straight to the comet (the comparison with goim's comet).
  for b in 1 4 20; do run grpc "" --clients 5000 --rate 40 --duration 20 --grpc 127.0.0.1:3109 --batch $b; done
  scripts/plot.sh "$out/sweep.jsonl"
}

case "${1:-}" in
  fanout) shift; fanout "$@" ;;
  idle) shift; idle "$@" ;;
  micro) micro ;;
  sweep) sweep ;;
  *) echo "usage: scripts/bench.sh fanout|idle|micro|sweep [options]" >&2; exit 2 ;;
esac
