#!/usr/bin/env bash
# A local Kafka broker for tests, the cluster mode and the benchmarks: Apache Kafka 4.x (jars from
# Maven, fetched by scripts/setup.sh into its cache) run with Java 17 as one KRaft process, broker
# and controller combined, on loopback only. The state folder is formatted once with Kafka's own
# StorageTool. Creates goim-push-topic. Stops only the process it started (by PID). Idempotent.
#   scripts/kafka.sh start [--fresh]|stop|status     --fresh: an empty state folder (the tests' runs)
# Environment:
#   GOIM_KAFKA_DIR              state folder (default build/kafka)
#   GOIM_KAFKA_PORT             broker port (default auto)
#   GOIM_KAFKA_CONTROLLER_PORT  KRaft controller port (default auto)
#                               auto: the ports this state folder had last time when they are
#                               free (a restart keeps the broker's address), else free ones from
#                               28000-31999 (the e2e harness draws from 20000-27999)
#   GOIM_KAFKA_PARTITIONS       partitions of goim-push-topic and auto-created topics (default 4)
#   GOIM_KAFKA_HEAP             the broker's heap, -Xms and -Xmx (default 256m)
# After start, $GOIM_KAFKA_DIR/broker holds the broker address (host:port).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${GOIM_KAFKA_DIR:-$root/build/kafka}
topic=goim-push-topic
partitions=${GOIM_KAFKA_PARTITIONS:-4}

alive() { [[ -f "$dir/kafka.pid" ]] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # free_port <port to avoid>
  local p
  for _ in $(seq 1 200); do
    p=$((28000 + RANDOM % 4000))
    [[ "$p" != "${1:-}" ]] && ! port_open "$p" && { echo "$p"; return; }
  done
  echo "kafka.sh: no free port found" >&2
  exit 1
}
# The port first: kcat waits out its whole timeout on a refused connection. The listener accepts
# before the broker serves requests, so a start polls with a short timeout (broker_up).
broker_answers() {
  local b
  b=$(cat "$dir/broker")
  port_open "${b##*:}" && kcat -b "$b" -m "${1:-3}" -L >/dev/null 2>&1
}
broker_up() { broker_answers 1; }
topic_ready() {  # every partition of the topic has a leader
  kcat -b "$(cat "$dir/broker")" -m 3 -L -t "$topic" 2>/dev/null |
    grep -q "partition $((partitions - 1)), leader [0-9]"
}
wait_ready() {  # wait_ready <seconds> <check>: fails at once when the broker has exited
  local until=$(($(date +%s) + $1))
  until "$2"; do
    alive || return 1
    [[ $(date +%s) -ge $until ]] && return 1
    sleep 0.1
  done
}

# A KRaft cluster id as Kafka's random-uuid prints it: 16 random bytes, URL-safe base64, no
# padding, not starting with "-".
cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    if [[ "$id" != -* ]]; then
      echo "$id"
      return
    fi
  done
}

# Ports: the last run's when free, else new ones.
pick_ports() {
  local last_kp="" last_cp=""
  [[ -f "$dir/ports" ]] && read -r last_kp last_cp <"$dir/ports"
  kp=${GOIM_KAFKA_PORT:-auto}
  cp=${GOIM_KAFKA_CONTROLLER_PORT:-auto}
  if [[ "$kp" == auto ]]; then
    if [[ -n "$last_kp" ]] && ! port_open "$last_kp"; then kp=$last_kp; else kp=$(free_port); fi
  fi
  if [[ "$cp" == auto ]]; then
    if [[ -n "$last_cp" && "$last_cp" != "$kp" ]] && ! port_open "$last_cp"; then
      cp=$last_cp
    else
      cp=$(free_port "$kp")
    fi
  fi
  if port_open "$kp" || port_open "$cp"; then
    echo "kafka.sh: port $kp or $cp is in use (set GOIM_KAFKA_PORT/GOIM_KAFKA_CONTROLLER_PORT, or auto)" >&2
    exit 1
  fi
  echo "$kp $cp" >"$dir/ports"
}

write_configs() {
  # Fast to start and to recover: groups rebalance at once, few offsets partitions to create, a
  # crashed broker's old registration is fenced after 3 s instead of 9 s; short consumer session
  # timeouts (the tests') are allowed. The log cleaner's buffer (128 MB by default) would take
  # half the heap.
  cat >"$dir/server.properties" <<EOL
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$kp,CONTROLLER://127.0.0.1:$cp
advertised.listeners=PLAINTEXT://127.0.0.1:$kp
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.quorum.voters=1@127.0.0.1:$cp
log.dirs=$dir/data
num.partitions=$partitions
auto.create.topics.enable=true
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
log.cleaner.dedupe.buffer.size=16777216
EOL
  cat >"$dir/log4j2.properties" <<EOL
rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
EOL
}

start() {
  local fresh=${1:-}
  if [[ "$fresh" != --fresh ]] && alive && [[ -f "$dir/broker" ]] && broker_answers; then
    echo "kafka.sh: already running, broker $(cat "$dir/broker")"
    return
  fi
  stop quiet
  if [[ "$fresh" == --fresh ]]; then rm -rf "$dir/data" "$dir/server.out"; fi
  local libs
  libs=$("$root/scripts/setup.sh" --kafka | tail -1)
  mkdir -p "$dir"
  local kp cp
  pick_ports
  write_configs
  # Class data sharing: the classes a broker loaded, archived at its first clean exit (see stop)
  # into the version's cache folder, start the next ones about twice as fast.
  local jsa=${libs%/libs}/broker.jsa cds
  if [[ -f "$jsa" ]]; then
    cds=(-XX:SharedArchiveFile="$jsa")
  else
    cds=(-XX:ArchiveClassesAtExit="$dir/broker.jsa")
    echo "$jsa" >"$dir/jsa-target"
  fi
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$libs/*" \
      -Dlog4j2.configurationFile="$dir/log4j2.properties" kafka.tools.StorageTool format \
      -c "$dir/server.properties" -t "$(cluster_id)" >"$dir/format.out" 2>&1 ||
      { echo "kafka.sh: formatting $dir/data failed; see $dir/format.out" >&2; exit 1; }
  fi
  echo "127.0.0.1:$kp" >"$dir/broker"
  # A small heap, all of it from the start (no full collections to grow it), and the serial
  # collector: the broker shares 2 cores with everything else. Pauses are logged in gc.log.
  local heap=${GOIM_KAFKA_HEAP:-256m}
  nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    "${cds[@]}" -Xlog:gc:file="$dir/gc.log" -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" </dev/null >>"$dir/server.out" 2>&1 &
  echo $! >"$dir/kafka.pid"
  wait_ready 60 broker_up || { echo "kafka.sh: Kafka did not start; see $dir/server.out" >&2; stop quiet; exit 1; }
  # A metadata request for a missing topic creates it (auto.create.topics.enable, num.partitions).
  wait_ready 30 topic_ready || { echo "kafka.sh: topic $topic not ready; see $dir/server.out" >&2; exit 1; }
  echo "kafka.sh: broker 127.0.0.1:$kp (controller $cp), topic $topic with $partitions partitions, state $dir"
}

stop() {
  local quiet=${1:-} clean=""
  if alive; then
    local pid
    pid=$(cat "$dir/kafka.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
      if ! kill -0 "$pid" 2>/dev/null; then
        clean=1
        break
      fi
      sleep 0.1
    done
    [[ -n "$clean" ]] || kill -9 "$pid" 2>/dev/null || true
    [[ -z "$quiet" ]] && echo "kafka.sh: stopped Kafka (pid $pid)"
  fi
  rm -f "$dir/kafka.pid"
  # The class archive of a clean exit goes to the cache (renamed there: other runs may read it).
  if [[ -n "$clean" && -s "$dir/broker.jsa" && -f "$dir/jsa-target" ]]; then
    local target
    target=$(cat "$dir/jsa-target")
    cp "$dir/broker.jsa" "$target.$$" && mv -f "$target.$$" "$target"
  fi
  rm -f "$dir/broker.jsa" "$dir/jsa-target"
}

status() {
  if alive && [[ -f "$dir/broker" ]] && broker_answers; then
    echo "kafka.sh: running, broker $(cat "$dir/broker")"
  else
    echo "kafka.sh: not running"
    return 1
  fi
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: scripts/kafka.sh start [--fresh]|stop|status" >&2; exit 2 ;;
esac
