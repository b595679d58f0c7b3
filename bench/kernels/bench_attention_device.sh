#!/usr/bin/env bash
# The issue-5 device run (attention, KV append, GEMM): every test + compute-sanitizer memcheck and
# racecheck, the PyTorch SDPA baseline, bench_attention and bench_gemm, in one call on the GPU
# machine. Build here first and bundle:
#   cmake -S . -B build-k2 -G Ninja -DCMAKE_BUILD_TYPE=Release -DVQT_WARNINGS_AS_ERRORS=ON \
#         -DCMAKE_CUDA_ARCHITECTURES=90a
#   ninja -C build-k2 test_attention_params test_gemm_params test_attention test_attention_append \
#         test_gemm bench_attention bench_gemm
#   ../shared/tools/gpu-bundle .device-k2 build-k2/tests/kernels/test_{attention_params,gemm_params,attention,attention_append,gemm} \
#         build-k2/bench/kernels/bench_{attention,gemm}
# then on the machine (repository root, .device-k2 carried): bash bench/kernels/bench_attention_device.sh
# Writes logs and CSVs under $OUT (default ./out).
set -o pipefail
OUT=${OUT:-./out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.device-k2/lib:/usr/local/cuda/lib64:$LD_LIBRARY_PATH
B=${BIN:-.device-k2/bin}
{ date -u; nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader; } > $OUT/env.txt 2>&1
cat $OUT/env.txt
{
for t in test_attention_params test_gemm_params test_attention test_attention_append test_gemm; do echo "== $t"; timeout 120 $B/$t 2>&1 | grep -E "FAILED|PASSED|Failure" | head -10; done
echo "== memcheck"
VQT_TEST_QUICK=1 timeout 100 compute-sanitizer --tool memcheck --error-exitcode 9 $B/test_attention 2>&1 | grep -E "SUMMARY|PASSED|FAILED"
timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $B/test_attention_append 2>&1 | grep -E "SUMMARY|PASSED|FAILED"
timeout 100 compute-sanitizer --tool memcheck --error-exitcode 9 $B/test_gemm 2>&1 | grep -E "SUMMARY|PASSED|FAILED"
echo "== racecheck"
VQT_TEST_QUICK=1 timeout 100 compute-sanitizer --tool racecheck --error-exitcode 9 $B/test_attention --gtest_filter='*Cq4:*Cq2:*Fp16Head128' 2>&1 | grep -E "SUMMARY|PASSED|FAILED"
timeout 60 compute-sanitizer --tool racecheck --error-exitcode 9 $B/test_attention_append 2>&1 | grep -E "SUMMARY|PASSED|FAILED"
timeout 100 compute-sanitizer --tool racecheck --error-exitcode 9 $B/test_gemm --gtest_filter='*gptvq*:*quip*' 2>&1 | grep -E "SUMMARY|PASSED|FAILED"
} 2>&1 | tee $OUT/tests.txt
PYTHONUNBUFFERED=1 timeout 100 python3 bench/scripts/sdpa_baseline.py --csv $OUT/sdpa.csv > $OUT/sdpa.txt 2>&1
timeout 120 $B/bench_attention --csv $OUT/attn.csv > $OUT/bench_attn.txt 2>/dev/null
timeout 150 $B/bench_gemm --csv $OUT/gemm.csv > $OUT/bench_gemm.txt 2>/dev/null
tail -16 $OUT/sdpa.txt; tail -14 $OUT/bench_attn.txt; cat $OUT/bench_gemm.txt
