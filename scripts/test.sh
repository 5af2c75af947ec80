#!/usr/bin/env bash
# Installs what is missing, checks the C++ format (scripts/format.sh --check), builds everything
# into build/, and runs every test with ctest:
# unit suites, micro benchmarks (tiny minimum time), the end-to-end suites (standalone and a
# real local Kafka broker), and sanitizer builds (pkg and job under AddressSanitizer+UBSan in
# build-asan/, the router store under ThreadSanitizer in build-tsan/).
# Exit status: 0 only when every test passed.
#   GOIM_SKIP_SANITIZERS=1 scripts/test.sh    skip the sanitizer builds (local iteration)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

scripts/setup.sh

status=0
echo "== format (.clang-format, clang-format-14)"
scripts/format.sh --check || status=1

echo "== build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
echo "== build finished at $(( $(date +%s) - start ))s"

echo "== ctest (build/)"
ctest --test-dir build --output-on-failure -j 2 || status=1
echo "== ctest finished at $(( $(date +%s) - start ))s"

if [[ "${GOIM_SKIP_SANITIZERS:-0}" != 1 ]]; then
  echo "== AddressSanitizer + UBSan: pkg, job (build-asan/)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGOIM_SANITIZE=address \
        -DGOIM_BUILD_BENCHMARKS=OFF >/dev/null
  # job: its comet clients go with calls in flight (a comet leaving the membership).
  ninja -C build-asan pkg_test job_test
  ctest --test-dir build-asan --output-on-failure -R '^(pkg_test|job_test)$' || status=1

  echo "== ThreadSanitizer: router session store (build-tsan/)"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGOIM_SANITIZE=thread \
        -DGOIM_BUILD_BENCHMARKS=OFF >/dev/null
  ninja -C build-tsan router_test
  ctest --test-dir build-tsan --output-on-failure -R '^router_store_tsan$' || status=1
fi

echo "== test.sh finished in $(( $(date +%s) - start ))s, status $status"
exit $status
