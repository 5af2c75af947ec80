#!/usr/bin/env bash
# Benchmarks. Each subcommand builds what it needs, raises the open-file limit to the hard limit
# (20,000 here: one comet holds < 20k connections), starts the servers on their usual ports
# (goim-standalone; for idle, router + logic + comet), runs goim-bench against them, stops them.
#   scripts/bench.sh fanout [goim-bench fanout options]   e.g. --clients 10000 --rate 40 --duration 30
#   scripts/bench.sh fanout --cluster [options]   the same through the cluster mode (scripts/cluster.sh:
#                                          logic -> Kafka -> job -> comet-1), e.g. --clients 1000 --rate 20
#   scripts/bench.sh push [--duration 10] [--runs 3] [--connections "1 50 200"]
#                                          push API latency and pushes/s through logic in cluster mode
#   scripts/bench.sh idle   [--clients 19000] [--transport ws]   (router, logic, comet as processes)
#   scripts/bench.sh micro                                 Google Benchmark micro benchmarks
#   scripts/bench.sh sweep                                 the series behind docs/benchmarks.md's plots
#   scripts/bench.sh compress                              compression against the raw-write floor
#   scripts/bench.sh history [--clients 10000] [--runs 2]  room history: connect storm and push cost
# GOIM_BENCH_SET="job.room.writesPerSecond=100000 comet.protocol.loops=1" passes -set overrides
# to goim-standalone; for the cluster (push, fanout --cluster) GOIM_CLUSTER_SET does the same
# (see scripts/cluster.sh). Client and server share the machine's cores: goim-bench reports both.
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
# The standalone's ports: comet TCP, WebSocket, gRPC, logic HTTP, logic gRPC, router gRPC.
sa_ports=(3101 3102 3109 3111 3119 3129)
# $1: the goim-standalone binary (default this tree's), $2 its configuration.
start_standalone() {
  local bin=${1:-build/cmd/goim-standalone} conf=${2:-configs/standalone.yaml}
  for p in "${sa_ports[@]}"; do
    port_open $p && { echo "bench.sh: port $p is in use (is a goim server running?)" >&2; exit 1; }
  done
  local sets=()
  for s in ${GOIM_BENCH_SET:-}; do sets+=(-set "$s"); done
  "$bin" -conf "$conf" "${sets[@]}" >"$out/standalone.log" 2>&1 &
  sa_pid=$!
  for _ in $(seq 1 100); do
    port_open "${sa_ports[0]}" && port_open "${sa_ports[3]}" && port_open "${sa_ports[2]}" && return
    sleep 0.1
  done
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
  if [[ "${1:-}" == --cluster ]]; then
    shift
    fanout_cluster "$@"
    return
  fi
  build goim-standalone goim-bench
  start_standalone
  build/benchmarks/goim-bench fanout --pid "$sa_pid" --metrics 127.0.0.1:3111 "$@"
  stop_standalone
}

# Idle memory is the comet's own: router, logic and comet run as separate processes (their
# default configs and ports; logic's Kafka producer is never used), and goim-bench reads the
# comet's RSS.
split_pids=()
start_split() {
  for p in 3101 3102 3108 3109 3111 3119 3128 3129; do
    port_open $p && { echo "bench.sh: port $p is in use (is a goim server running?)" >&2; exit 1; }
  done
  build/cmd/goim-router -conf configs/router.yaml >"$out/router.log" 2>&1 & split_pids+=($!)
  build/cmd/goim-logic -conf configs/logic.yaml >"$out/logic.log" 2>&1 & split_pids+=($!)
  for _ in $(seq 1 100); do port_open 3119 && break; sleep 0.1; done
  build/cmd/goim-comet -conf configs/comet.yaml -host bench-comet >"$out/comet.log" 2>&1 & split_pids+=($!)
  for _ in $(seq 1 100); do port_open 3101 && port_open 3102 && return; sleep 0.1; done
  echo "bench.sh: goim-comet did not start; see $out/comet.log" >&2; exit 1
}
stop_split() {
  for p in "${split_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${split_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  split_pids=()
}

idle() {
  build goim-router goim-logic goim-comet goim-bench
  trap 'stop_split; stop_standalone' EXIT
  start_split
  local args=("$@")
  # WebSocket clients dial the WebSocket port.
  for a in "$@"; do [[ "$a" == ws ]] && args+=(--comet 127.0.0.1:3102); done
  build/benchmarks/goim-bench idle --pid "${split_pids[2]}" --logic 127.0.0.1:3111 --settle 12 "${args[@]}"
  stop_split
}

# The cluster mode (scripts/cluster.sh, its usual ports), stopped with its broker on exit.
cluster_up=""
start_cluster() {
  build goim-router goim-logic goim-comet goim-job goim-bench
  trap stop_cluster EXIT
  cluster_up=1
  scripts/cluster.sh start >"$out/cluster.log" 2>&1 ||
    { cat "$out/cluster.log" >&2; exit 1; }
  # Measure the steady state: the jobs hold all 4 partitions and logic's producer has its
  # connection and producer id (the first push waits for them).
  local until=$(($(date +%s) + 60)) held=0
  while [[ $held -lt 4 ]]; do
    [[ $(date +%s) -lt $until ]] || { echo "bench.sh: the jobs got no partitions" >&2; exit 1; }
    sleep 0.2
    held=$(cat <(curl -s 127.0.0.1:3138/metrics) <(curl -s 127.0.0.1:4138/metrics) |
      awk '$1 == "goim_job_assigned_partitions" { n += $2 } END { print n + 0 }')
  done
  curl -s -d warm-up "http://127.0.0.1:3111/goim/push/room?operation=1000&type=live&room=warm-up" >/dev/null
}
stop_cluster() {
  [[ -n "$cluster_up" ]] || return 0
  scripts/cluster.sh stop >>"$out/cluster.log" 2>&1 || true
  cluster_up=""
}

# The whole Kafka path: clients on comet-1, pushes through logic, Kafka, the two jobs. Latency is
# reported from the push's HTTP reply (after Kafka's acknowledgement) and from its sending.
fanout_cluster() {
  start_cluster
  build/benchmarks/goim-bench fanout --comet 127.0.0.1:3101 --logic 127.0.0.1:3111 \
    --pid "$(cat build/cluster/comet-1.pid)" --metrics 127.0.0.1:3108 "$@"
  stop_cluster
}

# The push API: wrk (one thread) POSTs /goim/push/room (one room) to logic in cluster mode from 1,
# 50 and 200 connections; each reply waits for Kafka's acknowledgement. After a warm-up (the
# broker's JIT), the levels are interleaved run by run; one line per run and level.
push() {
  local duration=10 runs=3 connections="1 50 200"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --duration) duration=$2; shift 2 ;;
      --runs) runs=$2; shift 2 ;;
      --connections) connections=$2; shift 2 ;;
      *) echo "bench.sh push: unknown option $1" >&2; exit 2 ;;
    esac
  done
  scripts/setup.sh --bench >/dev/null
  start_cluster
  local url="http://127.0.0.1:3111/goim/push/room?operation=1000&type=live&room=bench"
  wrk -t1 -c50 -d5s -s benchmarks/wrk/push.lua "$url" >/dev/null
  for r in $(seq 1 "$runs"); do
    for c in $connections; do
      wrk -t1 -c"$c" -d"${duration}s" --latency -s benchmarks/wrk/push.lua "$url" |
        sed -n "s/^RESULT /connections=$c run=$r /p"
    done
  done
  stop_cluster
}

micro() {
  build pkg_bench comet_bench job_bench
  for b in pkg_bench comet_bench job_bench; do build/benchmarks/$b --benchmark_min_time=0.5; done
}

# The series behind docs/benchmarks.md: one fan-out run per point, each against a fresh
# goim-standalone. Each JSON summary goes to build/bench/sweep.jsonl tagged with its series and x
# value; then scripts/plot.sh draws build/bench/*.svg. About 12 minutes on 2 cores.
sweep() {
  build goim-standalone goim-bench
  scripts/setup.sh --bench >/dev/null
  : >"$out/sweep.jsonl"
  point() {
    local series=$1 x=$2 set=$3; shift 3
    echo "== $series $x: ${set:+$set }$*" >&2
    GOIM_BENCH_SET="$set" start_standalone
    build/benchmarks/goim-bench fanout --pid "$sa_pid" --metrics 127.0.0.1:3111 --json "$@" >"$out/last.txt"
    sed '$d' "$out/last.txt" | grep -E 'deliveries|latency|comet CPU|writes ' >&2
    tail -1 "$out/last.txt" | sed "s/^{/{\"series\":\"$series\",\"x\":$x,/" >>"$out/sweep.jsonl"
    stop_standalone
  }
  # Latency and CPU against the push rate: 10,000 clients in one room, default (adaptive) window.
  for r in 10 20 40 80; do point rate $r "" --clients 10000 --rate $r --duration 15; done
  # Deliveries/s against clients at 40 msg/s.
  for n in 1000 2000 5000 10000 19000; do point clients $n "" --clients $n --rate 40 --duration 15; done
  # CPU per delivery against a fixed batching window (adaptive off, batch size never the limit).
  for w in 10 25 50 100 200 500 1000; do
    point window $w "job.room.adaptive=false job.room.batch=100000 job.room.signal=${w}ms" \
      --clients 10000 --rate 40 --duration 15
  done
  # Frames per write, straight to the comet's BroadcastRoom (the comparison with goim's comet).
  point grpc 20 "" --clients 2000 --rate 400 --duration 15 --grpc 127.0.0.1:3109 --batch 20
  point grpc 4 "" --clients 5000 --rate 40 --duration 15 --grpc 127.0.0.1:3109 --batch 4
  point grpc 1 "" --clients 5000 --rate 10 --duration 15 --grpc 127.0.0.1:3109 --batch 1
  scripts/plot.sh "$out/sweep.jsonl" "$out"
}

# Compression against the raw-write floor (docs/benchmarks.md): 100-byte JSON danmaku at 20, 4 and
# 1 frames per write, straight to the comet's BroadcastRoom, for each encoding (TCP: none, zlib,
# brotli; WebSocket: none, deflate-ws), each followed by goim-bench floor writing the same bytes to
# as many sockets; GOIM_BENCH_BASE=<another goim-standalone> adds that binary's uncompressed runs
# (the regression check). The standalone runs on ports GOIM_BENCH_PORT_BASE+1.. (32101..). Repeated GOIM_BENCH_REPEAT times (3); each point's runs alternate. JSON
# lines go to build/bench/compress.jsonl, then scripts/compress_table.sh prints the ranges.
# About 25 minutes on 2 cores.
compress() {
  build goim-standalone goim-bench
  # Ports of their own (the usual ones may be taken by another run on a shared machine); the
  # configuration sets nothing else, so an older binary (GOIM_BENCH_BASE) takes it too.
  local base=${GOIM_BENCH_PORT_BASE:-32100}
  sa_ports=($((base + 1)) $((base + 2)) $((base + 9)) $((base + 11)) $((base + 19)) $((base + 29)))
  addr() { echo "\"127.0.0.1:$1\""; }
  printf '%s\n' 'env: {host: "standalone", addrs: ["127.0.0.1"]}' \
    'router:' "  rpcServer: {addr: $(addr "${sa_ports[5]}")}" '  metrics: {addr: ""}' \
    'logic:' "  rpcServer: {addr: $(addr "${sa_ports[4]}")}" "  httpServer: {addr: $(addr "${sa_ports[3]}")}" \
    "  node: {hostDomain: \"\", tcpPort: ${sa_ports[0]}, wsPort: ${sa_ports[1]}}" \
    'comet:' "  rpcServer: {addr: $(addr "${sa_ports[2]}")}" "  tcp: {bind: [$(addr "${sa_ports[0]}")]}" \
    "  websocket: {bind: [$(addr "${sa_ports[1]}")]}" '  metrics: {addr: ""}' \
    'job:' '  metrics: {addr: ""}' >"$out/compress.yaml"
  : >"$out/compress.jsonl"
  local reps=${GOIM_BENCH_REPEAT:-3} duration=${GOIM_BENCH_DURATION:-10}
  tag() { tail -1 "$out/last.txt" | sed "s/^{/{\"series\":\"$1\",\"rep\":$rep,/" >>"$out/compress.jsonl"; }
  for rep in $(seq 1 "$reps"); do
    # frames per write, clients, messages/s (the grpc points of `sweep`)
    for point in "20 2000 400" "4 5000 40" "1 5000 10"; do
      read -r batch clients rate <<<"$point"
      for enc in tcp:none tcp:zlib tcp:brotli ws:none ws:deflate-ws; do
        local transport=${enc%%:*} codec=${enc#*:} comet=127.0.0.1:${sa_ports[0]}
        [[ $transport == ws ]] && comet=127.0.0.1:${sa_ports[1]}
        local args=(--clients "$clients" --rate "$rate" --duration "$duration" --batch "$batch"
                    --body 100 --payload json --transport "$transport" --compress "$codec" --json)
        local bins=(comet)
        [[ -n "${GOIM_BENCH_BASE:-}" && $codec == none ]] && bins+=(base)
        for series in "${bins[@]}"; do
          echo "== $rep: $series $enc, $batch frames/write" >&2
          if [[ $series == base ]]; then
            start_standalone "$GOIM_BENCH_BASE" "$out/compress.yaml"
          else
            start_standalone build/cmd/goim-standalone "$out/compress.yaml"
          fi
          build/benchmarks/goim-bench fanout "${args[@]}" --grpc "127.0.0.1:${sa_ports[2]}" \
            --comet "$comet" --pid "$sa_pid" --metrics "127.0.0.1:${sa_ports[3]}" >"$out/last.txt" || true
          stop_standalone
          grep -E 'comet CPU|bytes ' "$out/last.txt" >&2 || true
          tag "$series"
        done
        build/benchmarks/goim-bench floor "${args[@]}" >"$out/last.txt" || true
        grep -E 'writer CPU' "$out/last.txt" >&2 || true
        tag floor
      done
    done
  done
  scripts/compress_table.sh "$out/compress.jsonl"
}

# Room history's cost (docs/benchmarks.md "Room history"), each run on a fresh goim-standalone,
# alternating: a connect storm of --clients clients asking "history": 50 of a room that holds 100
# messages against the same storm asking nothing; then one room push to 1,000 clients with history
# off (history.enabled=false), on, and on with every client opted in (room offsets in seq).
wait_time_wait() {  # loopback TIME_WAIT sockets of the last storm hold ports for 60 s
  for _ in $(seq 1 90); do (($(ss -tan state time-wait | wc -l) < 4000)) && return; sleep 1; done
}
history() {
  local clients=10000 runs=2
  while [[ $# -gt 0 ]]; do
    case $1 in
      --clients) clients=$2; shift 2 ;;
      --runs) runs=$2; shift 2 ;;
      *) echo "bench.sh history: unknown option $1" >&2; exit 2 ;;
    esac
  done
  build goim-standalone goim-bench
  local push="http://127.0.0.1:3111/goim/push/room?operation=1000&type=bench&room=0"
  local stored="http://127.0.0.1:3111/goim/history/room?type=bench&room=0&limit=100"
  for r in $(seq 1 "$runs"); do
    for ask in none 50; do
      wait_time_wait
      start_standalone
      for i in $(seq 1 100); do
        curl -sf -o /dev/null -d "{\"text\":\"earlier danmaku number $i of the room\"}" "$push"
      done
      for _ in $(seq 1 100); do
        curl -s "$stored" | grep -q '"offset":100[,}]' && break
        sleep 0.1
      done
      local a=()
      [[ $ask == none ]] || a=(--history "$ask")
      echo "== run $r: connect storm, $clients clients, history $ask"
      build/benchmarks/goim-bench idle --clients "$clients" --pid "$sa_pid" --logic 127.0.0.1:3111 \
        --settle 2 "${a[@]}" || true
      stop_standalone
    done
  done
  for r in $(seq 1 "$runs"); do
    for mode in off on opted-in; do
      wait_time_wait
      local a=()
      [[ $mode == opted-in ]] && a=(--history 0)
      if [[ $mode == off ]]; then
        GOIM_BENCH_SET="${GOIM_BENCH_SET:-} history.enabled=false" start_standalone
      else
        start_standalone
      fi
      echo "== run $r: room pushes, history $mode"
      build/benchmarks/goim-bench fanout --clients 1000 --rate 100 --duration 15 --pid "$sa_pid" \
        --metrics 127.0.0.1:3111 "${a[@]}" | grep -E 'deliveries|latency|comet CPU' || true
      stop_standalone
    done
  done
}

case "${1:-}" in
  fanout) shift; fanout "$@" ;;
  push) shift; push "$@" ;;
  idle) shift; idle "$@" ;;
  micro) micro ;;
  sweep) sweep ;;
  compress) compress ;;
  history) shift; history "$@" ;;
  *) echo "usage: scripts/bench.sh fanout [--cluster]|push|idle|micro|sweep|compress|history [options]" >&2; exit 2 ;;
esac
