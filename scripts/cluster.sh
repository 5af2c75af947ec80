#!/usr/bin/env bash
# The cluster mode: router, logic, two comets and two jobs as separate processes against the
# local Kafka broker (scripts/kafka.sh), configs in configs/cluster/. Logs and PIDs in
# build/cluster/. Stops only the processes it started.
#   scripts/cluster.sh start|stop|status
# Ports: logic HTTP 3111 (danmaku page at /), comet-1 TCP/WS 3101/3102, comet-2 4101/4102.
# GOIM_CLUSTER_SET="logic:key=value job:key=value ..." adds -set overrides to the processes whose
# name starts with the prefix (no spaces inside a value: kafka.properties={"linger.ms":"5"}).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=$root/build/cluster
procs=(router logic comet-1 comet-2 job-1 job-2)

bin_of() { case "$1" in comet-*) echo goim-comet ;; job-*) echo goim-job ;; *) echo "goim-$1" ;; esac; }
alive() { [[ -f "$dir/$1.pid" ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  scripts/setup.sh >/dev/null
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build goim-router goim-logic goim-comet goim-job >/dev/null
  scripts/kafka.sh start
  local broker; broker=$(cat "${GOIM_KAFKA_DIR:-$root/build/kafka}/broker")
  mkdir -p "$dir"
  for p in "${procs[@]}"; do
    if alive "$p"; then echo "cluster.sh: $p already running"; continue; fi
    local extra=()
    [[ "$p" == logic || "$p" == job-* ]] && extra=(-set "kafka.brokers=[\"$broker\"]")
    for s in ${GOIM_CLUSTER_SET:-}; do [[ "$p" == "${s%%:*}"* ]] && extra+=(-set "${s#*:}"); done
    nohup "build/cmd/$(bin_of "$p")" -conf "configs/cluster/$p.yaml" "${extra[@]}" >>"$dir/$p.log" 2>&1 &
    echo $! >"$dir/$p.pid"
    # Start in order: each service is up before the next one needs it.
    case "$p" in
      router) until port_open 3129; do sleep 0.1; done ;;
      logic) until port_open 3119 && port_open 3111; do sleep 0.1; done ;;
      comet-1) until port_open 3101; do sleep 0.1; done ;;
      comet-2) until port_open 4101; do sleep 0.1; done ;;
    esac
    alive "$p" || { echo "cluster.sh: $p exited; see $dir/$p.log" >&2; exit 1; }
  done
  echo "cluster.sh: running (Kafka $broker)"
  echo "  logic HTTP   http://127.0.0.1:3111/goim/...   (danmaku page: http://127.0.0.1:3111/)"
  echo "  comet-1      tcp 127.0.0.1:3101  ws://127.0.0.1:3102/sub"
  echo "  comet-2      tcp 127.0.0.1:4101  ws://127.0.0.1:4102/sub"
  echo "  logs         $dir/*.log"
}

stop() {
  for ((i=${#procs[@]}-1; i>=0; i--)); do
    local p=${procs[$i]}
    if alive "$p"; then
      local pid; pid=$(cat "$dir/$p.pid")
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "cluster.sh: stopped $p (pid $pid)"
    fi
    rm -f "$dir/$p.pid"
  done
  [[ "${1:-}" == --keep-kafka ]] || scripts/kafka.sh stop
}

status() {
  local ok=0
  for p in "${procs[@]}"; do
    if alive "$p"; then echo "$p: running (pid $(cat "$dir/$p.pid"))"; else echo "$p: stopped"; ok=1; fi
  done
  scripts/kafka.sh status || ok=1
  return $ok
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh start|stop [--keep-kafka]|status" >&2; exit 2 ;;
esac
