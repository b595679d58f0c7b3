#!/usr/bin/env bash
# Device call of session 13: the CUPTI timer's region told apart by correlation id (begin()'s
# marker memset), and the CLI default of 8 data sets.
#   STEP=tests   the gpu tests of the profiler, the counters, the tuner and vqtune profile
#   STEP=fresh   llama-7b GEMV batch 16 at one data set in N fresh processes: timeouts per process
#                (session 13's call 2 had 14 of 200 in one of two processes, all in its first seconds)
#   STEP=repeat  the same problems at the default data sets in two processes; s11's repeat.py
#   STEP=suite   the whole llama-7b suite at the defaults on a fresh file, then rerun on that file
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
tar -xJf .device/main.tar.xz -C .device   # the archive holds main/bin, main/lib
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
export VQT_CLI_BINARY=$PWD/.device/main/bin/vqtune
B=.device/main/bin
V=$B/vqtune
COEF=bench/results/data/h100-coefficients.json
REPEAT=bench/results/data/s11-check/repeat.py
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
repeat)
  gemv16 rdef-a
  gemv16 rdef-b
  echo "== default data sets: $(python3 $REPEAT "$out/rdef-a.db" "$out/rdef-b.db" 20 | head -1)" >> "$sum"
  python3 $REPEAT "$out/rdef-a.db" "$out/rdef-b.db" 20 > "$out/repeat-def.txt" 2>&1
  ;;
suite)
  for pass in fresh rerun; do
    s=$(date +%s)
    timeout ${SUITE_S:-300} $V tune --model llama-7b --coefficients $COEF \
      --db "$out/suite.db" > "$out/suite-$pass.txt" 2> "$out/suite-$pass.err"
    echo "suite $pass rc=$? $(( $(date +%s) - s ))s timeouts=$(grep -c ' timeout ' "$out/suite-$pass.err") $(tail -1 "$out/suite-$pass.txt")" >> "$sum"
  done
  ;;
esac
done
cd "$out" && tar -cf all.tar --exclude=all.tar . && cat summary.txt
