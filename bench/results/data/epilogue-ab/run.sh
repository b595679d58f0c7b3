#!/usr/bin/env bash
# Device call 1 of session 7: the GEMV kernel's split-k epilogue, A/B/C on one H100.
#   base: main at 43f9895 (block barriers, last block of a row-tile block finishes)
#   epi:  per-warp epilogue (atomics, fence, arrival per 16-row tile; no block barrier)
#   pre:  epi + the next item's first codes loaded before the epilogue
# Each binary: exhaustive tune of the same 8 problems into its own DB (cap 0.05 s), in turn; then
# the GPU GEMV tests of epi and pre. Bundles: .device/{base,epi,pre}.tar.xz from gpu-bundle.
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
cd .device && for v in base epi pre; do mkdir -p $v && tar -xJf $v.tar.xz -C $v; done && cd ..
nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader | tee "$out/summary.txt"
for v in pre epi; do
  ( export LD_LIBRARY_PATH=$PWD/.device/$v/lib:/usr/local/cuda/lib64; \
    timeout 200 .device/$v/bin/test_gemv_gpu > "$out/test_gemv_gpu-$v.log" 2>&1; \
    echo "test_gemv_gpu $v rc=$? $(grep -E '^\[  (PASSED|FAILED) ' "$out/test_gemv_gpu-$v.log" | tr '\n' ' ')" ) | tee -a "$out/summary.txt"
done
for v in base epi pre; do
  export LD_LIBRARY_PATH=$PWD/.device/$v/lib:/usr/local/cuda/lib64
  s=$(date +%s)
  .device/$v/bin/vqtune tune --model llama-65b --op gemv --vq quip#-4 --batch 16 --strategy exhaustive --cap-s 0.05 --db "$out/$v.db" > "$out/tune-$v.log" 2>&1
  .device/$v/bin/vqtune tune --model llama-7b --op gemv --vq gptvq-2,aqlm-2x8 --batch 1 --strategy exhaustive --cap-s 0.05 --db "$out/$v.db" >> "$out/tune-$v.log" 2>&1
  echo "tune $v rc=$? $(( $(date +%s) - s ))s" | tee -a "$out/summary.txt"
done
for v in base epi pre; do
  sqlite3 "$out/$v.db" "select p.key, min(m.median_s)*1e6 from measurements m join problems p on p.id=m.problem_id where m.status='ok' group by p.key order by p.key" 2>/dev/null | sed "s/^/$v /" >> "$out/best.txt"
done
cat "$out/best.txt"
