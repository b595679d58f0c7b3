#!/usr/bin/env bash
# Device call of session 13: the CUPTI timer's region told apart by correlation id (begin()'s
# marker memset), and the CLI default of 8 data sets.
#   STEP=tests   the gpu tests of the profiler, the counters, the tuner and vqtune profile
#   STEP=fresh   llama-7b GEMV batch 16 at one data set in N fresh processes: timeouts per process
#                (session 13's call 2 had 14 of 200 in one of two processes, all in its first seconds)
#   STEP=cross   independent placements: llama-7b GEMV batch 16 alone at R data sets, then the
#                whole llama-7b suite at R on a fresh file (another allocation history) and its
#                rerun; placement.py compares the batch-16 GEMV rows of the two files
#                (identical commands draw identical placements: call 2's two R = 1 processes)
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
tar -xJf .device/main.tar.xz -C .device   # the archive holds main/bin, main/lib
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
export VQT_CLI_BINARY=$PWD/.device/main/bin/vqtune
B=.device/main/bin
V=$B/vqtune
COEF=bench/results/data/h100-coefficients.json
PLACE=bench/results/data/s13-check/placement.py
sum=$out/summary.txt
nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader >> "$sum"
gemv16() {  # $1: file stem, then extra flags
  local stem=$1; shift
  local s=$(date +%s)
  timeout 200 $V tune --model llama-7b --op gemv --batch 16 --coefficients $COEF --cap-s ${CAP:-0.25} \
    "$@" --db "$out/$stem.db" > "$out/$stem.txt" 2> "$out/$stem.err"
  echo "$stem rc=$? $(( $(date +%s) - s ))s timeouts=$(grep -c ' timeout ' "$out/$stem.err") $(grep '^op gemv' "$out/$stem.txt")" >> "$sum"
}
for step in ${STEP:-tests}; do
case "$step" in
tests)
  for t in test_profiler_gpu test_counters_gpu test_tuner_gpu test_cli_profile_gpu; do
    s=$(date +%s)
    timeout 240 $B/$t > "$out/$t.log" 2>&1
    echo "$t rc=$? $(( $(date +%s) - s ))s $(grep -E '^\[  (PASSED|FAILED) ' "$out/$t.log" | tr '\n' ' ')" >> "$sum"
  done
  ;;
fresh)
  for i in $(seq 1 ${N:-3}); do gemv16 fresh1-$i --data-sets 1; done
  ;;
cross)
  R=${R:-16}
  gemv16 alone-r$R --data-sets $R
  for pass in fresh rerun; do
    s=$(date +%s)
    timeout ${SUITE_S:-330} $V tune --model llama-7b --coefficients $COEF --data-sets $R \
      --db "$out/suite-r$R.db" > "$out/suite-r$R-$pass.txt" 2> "$out/suite-r$R-$pass.err"
    echo "suite r$R $pass rc=$? $(( $(date +%s) - s ))s timeouts=$(grep -c ' timeout ' "$out/suite-r$R-$pass.err") $(tail -1 "$out/suite-r$R-$pass.txt")" >> "$sum"
  done
  python3 $PLACE "$out/alone-r$R.db" "$out/suite-r$R.db" 20 > "$out/cross-r$R.txt" 2>&1
  cat "$out/cross-r$R.txt" >> "$sum"
  ;;
esac
done
cd "$out" && tar -cf all.tar --exclude=all.tar . && cat summary.txt
