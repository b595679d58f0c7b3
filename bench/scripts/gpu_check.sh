#!/usr/bin/env bash
# One device call that proves a build on the GPU machine: every gpu-tier test executable, a smoke
# run of each kernel benchmark (CUPTI timer, and cudaEvents once for comparison), and optionally
# the tuner's model-top-k against exhaustive search on a suite.
#
#   bench/scripts/gpu_check.sh BUNDLE_DIR [tests] [bench] [topk] [ceil3] [profile] [suite] [live65]
#
# ceil3: the launch ceilings alone in three processes (run-to-run spread); profile: vqtune profile
# of two GEMV candidates with calibrated coefficients; suite: the whole llama-7b suite fresh, then
# rerun, ranking with $COEF (default bench/results/data/h100-coefficients.json); live65: model-top-k
# over the llama-65b GEMV problems with $COEF (compare with the exhaustive data offline).
#
# BUNDLE_DIR holds bin/ and lib/ from ../shared/tools/gpu-bundle (test executables, bench_gemv,
# bench_gemm, bench_attention, vqtune). Logs go to $OUT (or ./gpu-check-out); a table is printed last.
set -u
bundle=${1:?usage: gpu_check.sh BUNDLE_DIR [tests] [bench] [topk]}
shift
steps=${*:-tests bench topk}
out=${OUT:-gpu-check-out}
mkdir -p "$out"
export LD_LIBRARY_PATH=$PWD/$bundle/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
B=$bundle/bin
# test_cli_profile_gpu runs the vqtune it was built beside unless told where the bundle's is.
export VQT_CLI_BINARY=$PWD/$B/vqtune
summary=$out/summary.txt
: > "$summary"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader | tee -a "$summary"

if [[ " $steps " == *" tests "* ]]; then
  for t in test_gemv_gpu test_gemm test_attention test_attention_append test_profiler_gpu \
           test_tuner_gpu test_counters_gpu test_cli_profile_gpu; do
    [ -x "$B/$t" ] || { echo "$t: not in bundle" | tee -a "$summary"; continue; }
    s=$(date +%s)
    timeout 300 "$B/$t" > "$out/$t.log" 2>&1
    rc=$?
    echo "$t rc=$rc $(( $(date +%s) - s ))s $(grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$out/$t.log" | tr '\n' ' ')" | tee -a "$summary"
  done
fi

if [[ " $steps " == *" bench "* ]]; then
  {
    echo "== bench_gemv (quip#-4 4096x4096 b1, quick search)"
    timeout 120 "$B/bench_gemv" --gemv_models=7b --gemv_presets=quip#-4 --gemv_batches=1 \
      --gemv_search=quick --benchmark_filter='7b/4096x4096/b1/'
    echo "rc=$?"
    echo "== bench_gemm (quip#-4 4096x4096 m32), CUPTI then cudaEvents"
    timeout 120 "$B/bench_gemm" --quick --only quip#-4:4096:4096:32 --csv "$out/gemm.csv"
    echo "rc=$?"
    VQT_BENCH_TIMER=cuda_event timeout 120 "$B/bench_gemm" --quick --only quip#-4:4096:4096:32 \
      --csv "$out/gemm_event.csv"
    echo "rc=$?"
    echo "== bench_attention (cq-4, batch 8, context 32k)"
    timeout 120 "$B/bench_attention" --quick --only cq-4:8:32768 --csv "$out/attention.csv"
    echo "rc=$?"
  } > "$out/bench.txt" 2>&1
  grep -E "^rc=|timer" "$out/bench.txt" | tr '\n' ' ' | sed 's/^/bench: /' | tee -a "$summary"
  echo | tee -a "$summary"
fi

if [[ " $steps " == *" topk "* ]]; then
  db=/tmp/topk-$$.db
  suite=(--model llama-7b --vq quip#-4,aqlm-3,gptvq-2 --batch 1,16)
  s=$(date +%s)
  "$B/vqtune" tune "${suite[@]}" --strategy exhaustive --cap-s 0.3 --db "$db" > "$out/exhaustive.txt" 2> "$out/exhaustive.err"
  echo "exhaustive rc=$? $(( $(date +%s) - s ))s" | tee -a "$summary"
  s=$(date +%s)
  "$B/vqtune" tune "${suite[@]}" --db "$db" > "$out/topk.txt" 2> "$out/topk.err"
  echo "model-top-k (resumed from the exhaustive file) rc=$? $(( $(date +%s) - s ))s" | tee -a "$summary"
  "$B/vqtune" accuracy --db "$db" --per-problem > "$out/accuracy.txt" 2>&1
  "$B/vqtune" export --db "$db" --format csv --out "$out/topk-heuristics.csv" > /dev/null 2>&1
fi
COEF=${COEF:-bench/results/data/h100-coefficients.json}
[ -f "$COEF" ] || COEF=bench/results/data/h100-gemv-coefficients.json

if [[ " $steps " == *" ceil3 "* ]]; then
  for i in 1 2 3; do
    "$B/vqtune" measure --no-db --only launch,launch_gpu,launch_graph,empty_kernel --json > "$out/ceil3-$i.json" 2> "$out/ceil3-$i.err"
    echo "ceil3 run $i rc=$? $(tr -d '\n ' < "$out/ceil3-$i.json" | grep -o '"name":"[a-z_]*","value":[0-9.e-]*' | tr '\n' ' ')" | tee -a "$summary"
  done
fi

if [[ " $steps " == *" profile "* ]]; then
  db=/tmp/profile-$$.db
  "$B/vqtune" measure --db "$db" > "$out/profile-measure.txt" 2>&1
  "$B/vqtune" tune --n 4096 --k 4096 --vq aqlm-3 --batch 1 --coefficients "$COEF" --cap-s 0.05 --db "$db" > "$out/profile-seed.txt" 2>&1
  for vq in aqlm-3 quip#-4; do
    "$B/vqtune" profile --vq "$vq" --n 4096 --k 11008 --batch 1 --db "$db" > "$out/profile-$vq.txt" 2>&1
    echo "profile $vq rc=$?" | tee -a "$summary"
  done
fi

if [[ " $steps " == *" suite "* ]]; then
  db=/tmp/suite-$$.db
  s=$(date +%s)
  "$B/vqtune" tune --model llama-7b --coefficients "$COEF" --db "$db" > "$out/suite.txt" 2> "$out/suite.err"
  echo "suite fresh rc=$? $(( $(date +%s) - s ))s" | tee -a "$summary"
  s=$(date +%s)
  "$B/vqtune" tune --model llama-7b --coefficients "$COEF" --db "$db" > "$out/suite-rerun.txt" 2> "$out/suite-rerun.err"
  echo "suite rerun rc=$? $(( $(date +%s) - s ))s" | tee -a "$summary"
  grep -E "^op |failed" "$out/suite.err" | tail -5 | tee -a "$summary"
  cp "$db" "$out/suite.db"
fi

if [[ " $steps " == *" live65 "* ]]; then
  db=/tmp/live65-$$.db
  s=$(date +%s)
  "$B/vqtune" tune --model llama-65b --op gemv --coefficients "$COEF" --cap-s 0.05 --db "$db" > "$out/live65.txt" 2> "$out/live65.err"
  echo "live65 model-top-k rc=$? $(( $(date +%s) - s ))s" | tee -a "$summary"
  cp "$db" "$out/live65.db"
fi
cat "$summary"
