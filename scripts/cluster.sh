#!/usr/bin/env bash
# The cluster mode: etcd (membership), Redis (room history, append-only file on), two routers, two logics, two comets and two jobs as
# separate processes against the local Kafka broker (scripts/kafka.sh: Kafka 4.x, its own free
# ports; its address is read from its state folder), configs in configs/cluster/. Logs, PIDs and
# etcd's data in build/cluster/. Stops only the processes it started (by PID).
#   scripts/cluster.sh start     (re)starts every node that is not running (so after a node was
#                                killed, `start` brings it back and leaves the others alone);
#                                starts nothing when a port it needs is taken by another process
#   scripts/cluster.sh status    one line per node: "NAME: running (pid N)" or "NAME: stopped",
#                                then kafka.sh's status line; exit status 1 when any is stopped
#   scripts/cluster.sh stop [--keep-kafka]
# Ports: etcd 127.0.0.1:3179; redis 127.0.0.1:3190 (data in build/cluster/redis);
# logic-1 HTTP 3111 (danmaku page at /), logic-2 HTTP 4111;
# comet-1 TCP/WS 3101/3102, comet-2 4101/4102; routers gRPC 3129 and 4129.
# GOIM_CLUSTER_SET="logic:key=value job:key=value ..." adds -set overrides to the processes whose
# name starts with the prefix ("logic:" both logics, "logic-2:" one; no spaces inside a value:
# kafka.properties={"linger.ms":"5"}).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=$root/build/cluster
etcd_client=127.0.0.1:3179
etcd_peer=127.0.0.1:3180
redis_port=3190
procs=(etcd redis router-1 router-2 logic-1 logic-2 comet-1 comet-2 job-1 job-2)

bin_of() { case "$1" in comet-*) echo goim-comet ;; job-*) echo goim-job ;; logic-*) echo goim-logic ;; router-*) echo goim-router ;; esac; }
# Running: the PID exists and is not a zombie (a killed node waits to be reaped by init).
alive() {
  [[ -f "$dir/$1.pid" ]] || return 1
  local state; state=$(ps -o stat= -p "$(cat "$dir/$1.pid")" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z* ]]
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # wait_port <name> <port>...: up to 30 s for each, while the process lives
  local p=$1; shift
  for port in "$@"; do
    for _ in $(seq 1 300); do
      port_open "$port" && continue 2
      alive "$p" || break
      sleep 0.1
    done
    echo "cluster.sh: $p did not come up on port $port; see $dir/$p.log" >&2
    exit 1
  done
}
# The ports each node answers on once it is up (start waits for them before starting the next).
ready_ports() {
  case "$1" in
    etcd) echo 3179 ;; redis) echo $redis_port ;; router-1) echo 3129 ;; router-2) echo 4129 ;;
    logic-1) echo 3119 3111 ;; logic-2) echo 4119 4111 ;; comet-1) echo 3101 ;; comet-2) echo 4101 ;;
    *) echo "" ;;
  esac
}

start_etcd() {
  command -v etcd >/dev/null || scripts/setup.sh >/dev/null
  nohup etcd --name goim-cluster --data-dir "$dir/etcd-data" \
    --listen-client-urls "http://$etcd_client" --advertise-client-urls "http://$etcd_client" \
    --listen-peer-urls "http://$etcd_peer" --initial-advertise-peer-urls "http://$etcd_peer" \
    --initial-cluster "goim-cluster=http://$etcd_peer" --logger zap --log-level warn \
    >>"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
}

# Room history's store: appendonly yes, so stored danmaku survive a Redis restart.
start_redis() {
  command -v redis-server >/dev/null || scripts/setup.sh >/dev/null
  mkdir -p "$dir/redis"
  nohup redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --appendonly yes \
    --save "" --daemonize no --logfile "" >>"$dir/redis.log" 2>&1 &
  echo $! >"$dir/redis.pid"
}

start() {
  scripts/setup.sh >/dev/null
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build goim-router goim-logic goim-comet goim-job >/dev/null
  # A port already taken (another engineer's standalone or cluster on the usual ports) would be
  # mistaken for the node being up: refuse before starting anything.
  for p in "${procs[@]}"; do
    alive "$p" && continue
    for port in $(ready_ports "$p"); do
      if port_open "$port"; then
        echo "cluster.sh: port $port ($p) is already in use by another process; nothing started" >&2
        exit 1
      fi
    done
  done
  scripts/kafka.sh start
  local broker; broker=$(cat "${GOIM_KAFKA_DIR:-$root/build/kafka}/broker")
  mkdir -p "$dir"
  for p in "${procs[@]}"; do
    if alive "$p"; then echo "cluster.sh: $p already running (pid $(cat "$dir/$p.pid"))"; continue; fi
    if [[ "$p" == etcd ]]; then
      start_etcd
    elif [[ "$p" == redis ]]; then
      start_redis
    else
      local extra=()
      [[ "$p" == logic-* || "$p" == job-* ]] && extra=(-set "kafka.brokers=[\"$broker\"]")
      for s in ${GOIM_CLUSTER_SET:-}; do [[ "$p" == "${s%%:*}"* ]] && extra+=(-set "${s#*:}"); done
      nohup "build/cmd/$(bin_of "$p")" -conf "configs/cluster/$p.yaml" "${extra[@]}" >>"$dir/$p.log" 2>&1 &
      echo $! >"$dir/$p.pid"
    fi
    # In order: each node is up before the next one needs it.
    wait_port "$p" $(ready_ports "$p")
    alive "$p" || { echo "cluster.sh: $p exited; see $dir/$p.log" >&2; exit 1; }
    echo "cluster.sh: started $p (pid $(cat "$dir/$p.pid"))"
  done
  echo "cluster.sh: running (Kafka $broker, etcd $etcd_client, redis 127.0.0.1:$redis_port)"
  echo "  logic HTTP   http://127.0.0.1:3111/goim/...  http://127.0.0.1:4111/goim/...  (danmaku page: http://127.0.0.1:3111/)"
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
