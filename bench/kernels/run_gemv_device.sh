#!/usr/bin/env bash
# Runs the GEMV work on the GPU machine from a bundle made here with
#   /work/shared/tools/gpu-bundle .device-gemv build-gemv/tests/kernels/test_gemv_{cpu,gpu} \
#       build-gemv/bench/kernels/bench_gemv
# Usage (on the GPU machine, repository root): bench/kernels/run_gemv_device.sh STEP...
#   info      GPU, driver, clocks
#   tests     GPU + CPU test tiers of the GEMV
#   bench     full benchmark (search=full); bench-quick: search=quick
#   ncu       Nsight Compute counters of the best quip#-4 / aqlm-3 / gptvq-2 kernels, 65B b1
#   sanitize  compute-sanitizer memcheck + racecheck on the GPU tests (reduced filter)
# Logs go to $OUT (or ./gemv-out).
set -uo pipefail
B=${BUNDLE:-.device-gemv}
O=${OUT:-gemv-out}
mkdir -p "$O"
export LD_LIBRARY_PATH=$PWD/$B/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
NCU_METRICS=dram__bytes_read.sum,l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum,lts__t_bytes.sum,sm__warps_active.avg.pct_of_peak_sustained_active,gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,l1tex__throughput.avg.pct_of_peak_sustained_active,sm__inst_executed_pipe_lsu.avg.pct_of_peak_sustained_active,sm__throughput.avg.pct_of_peak_sustained_elapsed,smsp__inst_executed.sum,l1tex__data_pipe_lsu_wavefronts_mem_shared.sum,smsp__average_warp_latency_issue_stalled_mio_throttle.ratio,smsp__average_warp_latency_issue_stalled_long_scoreboard.ratio,smsp__average_warp_latency_issue_stalled_short_scoreboard.ratio
for step in "$@"; do
  case "$step" in
    info)
      nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.draw,temperature.gpu --format=csv 2>&1 | tee "$O/info.txt"
      ;;
    tests)
      "$B/bin/test_gemv_cpu" 2>&1 | tail -3 | tee "$O/tests.txt"
      "$B/bin/test_gemv_gpu" 2>&1 | tee -a "$O/tests.txt" | grep -E "FAIL|PASSED|SKIPPED|error" | head -40
      ;;
    bench|bench-quick)
      s=full; [ "$step" = bench-quick ] && s=quick
      "$B/bin/bench_gemv" --gemv_search=$s ${GEMV_ARGS:-} --benchmark_counters_tabular=true \
        --benchmark_out="$O/bench_gemv.json" --benchmark_out_format=json 2>&1 > "$O/bench_gemv.txt"
      echo "bench rc=$?"; grep -A200 "## VQ GEMV summary" "$O/bench_gemv.txt"
      ;;
    ncu)
      for spec in "quip#-4|${NCU_QUIP:-reg=0,smem=256,copies=8,bypass=0,split_k=4,warps=16,bps=0}" \
                  "aqlm-3|${NCU_AQLM:-reg=0,smem=4096,copies=1,bypass=0,split_k=4,warps=16,bps=0}" \
                  "gptvq-2|${NCU_GPTVQ:-reg=0,smem=256,copies=4,bypass=0,split_k=8,warps=8,bps=0}"; do
        p=${spec%%|*}; params=${spec#*|}
        timeout 120 ncu --clock-control none -k regex:vq_gemv_kernel --launch-skip 3 -c 1 --metrics $NCU_METRICS \
          "$B/bin/bench_gemv" --gemv_models=65b --gemv_presets="$p" --gemv_batches=1 --gemv_params="$params" \
          --benchmark_filter="65b/8192x22016/b1/.*/vq_best" 2>&1 | grep -E "vq_gemv_kernel|dram__|l1tex__|lts__|sm__|smsp__|gpu__time" | tee -a "$O/ncu.txt"
      done
      ;;
    occupancy)
      # Sensitivity to resident warps: the same quip#-4 kernel with the grid capped at B blocks/SM.
      for b in 4 3 2 1; do
        "$B/bin/bench_gemv" --gemv_models=65b --gemv_presets="quip#-4" --gemv_batches=1 \
          --gemv_params="reg=0,smem=256,copies=8,bypass=0,split_k=3,warps=4,bps=$b" \
          --benchmark_filter="65b/22016x8192/b1/.*/vq_best" 2>&1 | grep -E "^  search" | tee -a "$O/occupancy.txt"
      done
      ;;
    r80)
      [ -x "$B/bin/bench_gemv_r80" ] && "$B/bin/bench_gemv_r80" --gemv_search=quick --gemv_models=65b \
        --gemv_presets="quip#-4,aqlm-3,gptvq-2" 2>&1 > "$O/bench_r80.txt"; grep -A20 "## VQ GEMV summary" "$O/bench_r80.txt"
      ;;
    sanitize)
      for tool in memcheck racecheck; do
        timeout 200 compute-sanitizer --tool $tool --error-exitcode 9 "$B/bin/test_gemv_gpu" \
          --gtest_filter="${SAN_FILTER:-Presets/GemvPreset.*/quip__4:Presets/GemvPreset.*/gptvq_2:Presets/GemvPreset.*/vq_2_12_2:GemvLauncher.*}" 2>&1 | tail -4 | tee -a "$O/sanitize.txt"
        echo "$tool rc=${PIPESTATUS[0]}" | tee -a "$O/sanitize.txt"
      done
      ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
