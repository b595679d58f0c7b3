#!/usr/bin/env bash
# Fails (exit 1) when a tracked C++/CUDA source is not formatted as .clang-format says.
# scripts/check-format.sh --fix rewrites the files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h')
[ ${#files[@]} -gt 0 ] || exit 0
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/vqt-format.log; then
  grep -E '^[^ ].*(error|warning):' /tmp/vqt-format.log | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
  echo "format check failed: run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "format check: ${#files[@]} files ok"
