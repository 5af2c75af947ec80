#!/usr/bin/env bash
# Installs what is missing, builds, and starts the standalone cluster (comet, logic, router and
# job in one process, embedded queue, no Kafka) in the foreground. Ctrl-C stops it.
#   scripts/run.sh [extra goim-standalone flags, e.g. -set comet.tcp.bind=[":4101"]]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build goim-standalone
# Many connections need many files: up to the hard limit (20,000 on the CI machines).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec build/cmd/goim-standalone -conf configs/standalone.yaml "$@"
