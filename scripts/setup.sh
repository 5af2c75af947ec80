#!/usr/bin/env bash
# Installs what goim-cpp needs, and nothing else. Idempotent: anything present is skipped, and
# with nothing missing it touches no network.
#   scripts/setup.sh            everything scripts/test.sh needs: build packages, Java, Maven, kcat,
#                               Chromium, clang-format-14, redis-server (the history store's
#                               tests start their own), etcd-server (discovery tests start their
#                               own; Debian also starts its own etcd service on :2379, which no test
#                               uses), the Kafka broker jars (Maven), playwright-core and ws (npm)
#   scripts/setup.sh --build    only what building and scripts/run.sh need
#   scripts/setup.sh --bench    also gnuplot (scripts/bench.sh plots) and wrk (bench.sh push)
#   scripts/setup.sh --kafka    only Java, Maven, kcat and the Kafka broker jars; prints the jars'
#                               folder last
# Downloads go to $GOIM_CACHE_DIR (default ~/.cache/goim-cpp), one folder per version:
#   kafka-<version>/libs         Apache Kafka's broker (org.apache.kafka:kafka_2.13) and its runtime
#                                dependencies, copied there by Maven (whose own cache is ~/.m2)
#   playwright/node_modules      playwright-core (drives Debian's chromium in the browser test)
#   ws/node_modules              ws (an independent WebSocket client for the conformance test)
set -euo pipefail

mode=${1:-all}
cache=${GOIM_CACHE_DIR:-$HOME/.cache/goim-cpp}
# The newest Kafka 4.x that resolves from Maven Central with its dependencies, and the slf4j 1.7
# binding to log4j2 that its binary distribution carries (the broker logs through slf4j).
kafka_version=4.4.0
log4j_version=2.25.5
kafka_home=$cache/kafka-$kafka_version

build_pkgs=(
  cmake ninja-build g++ pkg-config
  libboost-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev libyaml-cpp-dev libgoogle-glog-dev libgflags-dev libhiredis-dev
  zlib1g-dev libbrotli-dev
  libbenchmark-dev libgtest-dev libgmock-dev nlohmann-json3-dev
)
kafka_pkgs=(openjdk-17-jre-headless maven kcat)
test_pkgs=("${kafka_pkgs[@]}" chromium clang-format-14 redis-server etcd-server)

want=("${build_pkgs[@]}")
if [[ "$mode" == --kafka ]]; then
  want=("${kafka_pkgs[@]}")
elif [[ "$mode" != --build ]]; then
  want+=("${test_pkgs[@]}")
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
fi
[[ "$mode" == --bench ]] && want+=(gnuplot-nox wrk)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The broker's jars: a pom naming them, then Maven's copy-dependencies into libs/. The folder
# counts once complete (the marker file), so an interrupted fetch is redone from scratch.
fetch_kafka() {
  [[ -f "$kafka_home/complete" ]] && return
  echo "setup: fetching Apache Kafka $kafka_version (Maven) into $kafka_home" >&2
  rm -rf "$kafka_home"
  mkdir -p "$kafka_home"
  cat >"$kafka_home/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>goim-cpp.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>$kafka_version</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$kafka_version</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$log4j_version</version>
    </dependency>
  </dependencies>
</project>
EOF
  mvn -B -q -f "$kafka_home/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$kafka_home/libs" >"$kafka_home/mvn.log" 2>&1 ||
    { cat "$kafka_home/mvn.log" >&2; exit 1; }
  if [[ ! -f "$kafka_home/libs/kafka_2.13-$kafka_version.jar" ]]; then
    echo "setup: Maven did not bring kafka_2.13-$kafka_version.jar" >&2
    exit 1
  fi
  touch "$kafka_home/complete"
}
if [[ "$mode" == --kafka ]]; then
  fetch_kafka
  echo "$kafka_home/libs"
  exit 0
fi

if [[ "$mode" != --build ]]; then
  fetch_kafka
  if [[ ! -f "$cache/playwright/node_modules/playwright-core/package.json" ]]; then
    echo "setup: installing playwright-core (npm) into $cache/playwright"
    mkdir -p "$cache/playwright"
    (cd "$cache/playwright" && npm install --silent --no-audit --no-fund --prefix . playwright-core@1.65.1 >/dev/null)
  fi
  if [[ ! -f "$cache/ws/node_modules/ws/package.json" ]]; then
    echo "setup: installing ws (npm) into $cache/ws"
    mkdir -p "$cache/ws"
    (cd "$cache/ws" && npm install --silent --no-audit --no-fund --prefix . ws@8.23.0 >/dev/null)
  fi
fi
echo "setup: ok"
