#!/usr/bin/env bash
# The C++ sources' format is .clang-format's, applied by clang-format-14 (Debian's package).
#   scripts/format.sh          reformat every tracked .cc/.h file in place
#   scripts/format.sh --check  list the files whose format differs; exit 1 if any (test.sh runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format-14}
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [[ "${1:-}" == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [[ ${#bad[@]} -gt 0 ]]; then
    echo "format: ${#bad[@]} file(s) differ from .clang-format (fix: scripts/format.sh):"
    printf '  %s\n' "${bad[@]}"
    exit 1
  fi
  echo "format: ${#files[@]} files ok"
else
  "$fmt" -i "${files[@]}"
fi
