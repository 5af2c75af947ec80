#!/usr/bin/env bash
# Installs what is missing, builds, and starts the standalone cluster (comet, logic, router and
# job in one process, embedded queue, no Kafka) in the foreground. Ctrl-C stops it.
#   scripts/run.sh [extra goim-standalone flags, e.g. -set comet.tcp.bind=[":4101"]]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! ninja -C build -t targets all 2>/dev/null | grep -q '^goim-standalone:'; then
  echo "run.sh: the standalone binary is not built yet (cmd/standalone); see README's status table" >&2
  exit 1
fi
ninja -C build goim-standalone
exec build/cmd/standalone/goim-standalone -conf configs/standalone.yaml "$@"
