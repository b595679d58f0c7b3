#!/usr/bin/env bash
# Device calls of session 12: time candidates over several copies of their data (--data-sets)
# and check that separate processes then agree.
#   STEP=tests   the gpu tests the change touches (profiler, tuner, cli profile)
#   STEP=spread  vqtune profile of two candidates over 16 copies: the per-copy medians in one
#                process (how much placement moves them)
#   STEP=repeat  the llama-7b GEMV batch-16 problems tuned in two processes with R copies and in
#                two with one copy (interleaved), each into its own file; repeat.py on each pair
#   STEP=suite   the whole llama-7b suite at R copies on a fresh file, then rerun on that file
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
tar -xJf .device/main.tar.xz -C .device   # the archive holds main/bin, main/lib
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
export VQT_CLI_BINARY=$PWD/.device/main/bin/vqtune
B=.device/main/bin
V=$B/vqtune
D=bench/results/data/s11-check   # its repeat.py
sum=$out/summary.txt
nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader >> "$sum"
COEF=bench/results/data/h100-coefficients.json
for step in ${STEP:-tests}; do
case "$step" in
tests)
  for t in test_profiler_gpu test_tuner_gpu test_cli_profile_gpu; do
    s=$(date +%s)
    timeout 300 $B/$t > "$out/$t.log" 2>&1
    echo "$t rc=$? $(( $(date +%s) - s ))s $(grep -E '^\[  (PASSED|FAILED) ' "$out/$t.log" | tr '\n' ' ')" >> "$sum"
  done
  ;;
spread)
  for spec in "aqlm-3 11008 4096 reg=0,smem=256,copies=1,l1bypass=0,cbsplit=1,fusion=shuffle,dataflow=token_split,tile=16x64x128,threads=128,splitk=2" \
              "aqlm-2x8 12288 4096 reg=4,smem=64,copies=1,l1bypass=1,cbsplit=1,fusion=shuffle,dataflow=token_split,tile=16x256x128,threads=512,splitk=4"; do
    set -- $spec
    timeout 60 $V profile --op gemv --vq $1 --n $2 --k $3 --batch 16 --candidate "$4" \
      --data-sets ${SPREAD_SETS:-16} > "$out/spread-$1.txt" 2>&1
    echo "spread $1 rc=$? $(grep 'data sets' "$out/spread-$1.txt")" >> "$sum"
  done
  ;;
repeat)
  R=${R:-8}
  for run in a b; do
    for sets in $R 1; do
      s=$(date +%s)
      timeout 200 $V tune --model llama-7b --op gemv --batch 16 --coefficients $COEF \
        --cap-s ${CAP:-0.3} --data-sets $sets --db "$out/r$sets-$run.db" > "$out/r$sets-$run.txt" 2> "$out/r$sets-$run.err"
      echo "tune sets=$sets run=$run rc=$? $(( $(date +%s) - s ))s $(grep '^op gemv' "$out/r$sets-$run.txt")" >> "$sum"
    done
  done
  for sets in $R 1; do
    echo "== $sets copies: $(python3 $D/repeat.py "$out/r$sets-a.db" "$out/r$sets-b.db" 20 | head -1)" >> "$sum"
    python3 $D/repeat.py "$out/r$sets-a.db" "$out/r$sets-b.db" 20 > "$out/repeat-$sets.txt" 2>&1
  done
  ;;
suite)
  for pass in fresh rerun; do
    s=$(date +%s)
    timeout ${SUITE_S:-560} $V tune --model llama-7b --coefficients $COEF --data-sets ${R:-8} \
      --db "$out/suite.db" > "$out/suite-$pass.txt" 2> "$out/suite-$pass.err"
    echo "suite $pass sets=${R:-8} rc=$? $(( $(date +%s) - s ))s $(tail -1 "$out/suite-$pass.txt")" >> "$sum"
  done
  ;;
esac
done
cd "$out" && tar -cf all.tar --exclude=all.tar . && cat summary.txt
