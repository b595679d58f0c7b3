#!/usr/bin/env bash
# Re-runs the `vqtune accuracy` commands of bench/results/model-accuracy-gemv-h100.md and
# bench/results/model-accuracy-gemm-attention-h100.md on the committed H100 databases
# (bench/results/data/*.db.xz, see bench/results/data/README.md). No GPU needed.
#
#   bench/scripts/accuracy_h100.sh [--fit] [--per-problem]
#
# Default: the committed coefficients judged on every problem of each file
# (h100-gemv-coefficients.json on the two GEMV files, h100-coefficients.json on GEMM + attention),
# and the GEMV model with its default coefficients. --fit: also the fits the reports quote (GEMV
# alone, GEMM + attention alone, all three ops merged; about a minute on 2 cores). --per-problem:
# one line per problem as well.
#
# vqtune: $VQTUNE, else $BUILD_DIR/cli/vqtune (BUILD_DIR defaults to build), else vqtune on PATH.
# The databases are decompressed into a fresh temporary directory, removed on exit; nothing is
# written into the repository.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
data=$repo/bench/results/data

fit=0
extra=()
for a in "$@"; do
  case "$a" in
    --fit) fit=1 ;;
    --per-problem) extra+=(--per-problem) ;;
    -h | --help)
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "accuracy_h100.sh: unknown argument '$a'; accepted: --fit, --per-problem" >&2
      exit 2
      ;;
  esac
done

vqtune=${VQTUNE:-}
if [ -z "$vqtune" ]; then
  if [ -x "$repo/${BUILD_DIR:-build}/cli/vqtune" ]; then
    vqtune=$repo/${BUILD_DIR:-build}/cli/vqtune
  else
    vqtune=$(command -v vqtune || true)
  fi
fi
if [ -z "$vqtune" ] || [ ! -x "$vqtune" ]; then
  echo "accuracy_h100.sh: vqtune not found (set VQTUNE=path, or build it: scripts/setup.sh build)" >&2
  exit 2
fi
if ! command -v xz >/dev/null; then
  echo "accuracy_h100.sh: xz not found (Debian: apt-get install xz-utils)" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vqtune-accuracy-h100.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for f in h100-gemv-70 h100-gemv-llama65b h100-gemm-attention; do
  xz -dc "$data/$f.db.xz" > "$tmp/$f.db"
done
gemv_coef=$data/h100-gemv-coefficients.json
all_coef=$data/h100-coefficients.json

# Prints the command (with the temp dir shown as $TMP) and runs it.
run() {
  local shown="$*"
  echo
  echo "+ vqtune ${shown//$tmp/\$TMP}"
  "$vqtune" "$@"
}

echo "vqtune: $vqtune"
echo "== GEMV, llama-7b + llama-3-8b (70 problems; model-accuracy-gemv-h100.md)"
run accuracy --db "$tmp/h100-gemv-70.db" --coefficients "$gemv_coef" "${extra[@]}"
run accuracy --db "$tmp/h100-gemv-70.db" "${extra[@]}" # default coefficients
echo
echo "== GEMV, llama-65b (40 problems, never in the fit; model-accuracy-gemv-h100.md)"
run accuracy --db "$tmp/h100-gemv-llama65b.db" --coefficients "$gemv_coef" "${extra[@]}"
echo
echo "== GEMM + CQ decode attention (86 problems; model-accuracy-gemm-attention-h100.md)"
run accuracy --db "$tmp/h100-gemm-attention.db" --coefficients "$all_coef" "${extra[@]}"

if [ "$fit" = 1 ]; then
  # --fit stores the fitted coefficients into the file: fit on copies, keep the decompressed ones.
  echo
  echo "== fits (held out: 1 in 4 shapes by hash; the fit stores its coefficients in the copy)"
  cp "$tmp/h100-gemv-70.db" "$tmp/fit-gemv.db"
  run accuracy --db "$tmp/fit-gemv.db" --fit --iterations 100 "${extra[@]}"
  cp "$tmp/h100-gemm-attention.db" "$tmp/fit-gemm-attention.db"
  run accuracy --db "$tmp/fit-gemm-attention.db" --fit --iterations 100 "${extra[@]}"
  run db merge "$tmp/fit-all.db" "$tmp/h100-gemv-70.db" "$tmp/h100-gemm-attention.db"
  run accuracy --db "$tmp/fit-all.db" --fit --iterations 150 "${extra[@]}"
fi
