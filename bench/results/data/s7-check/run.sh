#!/usr/bin/env bash
# Device call 2 of session 7: every gpu-tier test at this commit (bench/scripts/gpu_check.sh
# tests), then the same exhaustive tune of llama-65b quip#-4 batch 16 in two separate processes
# (is a candidate's median a property of the process, or of the machine?).
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
mkdir -p .device/main && tar -xJf .device/main.tar.xz -C .device/main
OUT=$out bash bench/scripts/gpu_check.sh .device/main tests > /dev/null 2>&1
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
for i in 1 2; do
  s=$(date +%s)
  .device/main/bin/vqtune tune --model llama-65b --op gemv --vq quip#-4 --batch 16 --strategy exhaustive --cap-s 0.05 --db "$out/rep$i.db" > /dev/null 2> "$out/rep$i.err"
  echo "repeat $i rc=$? $(( $(date +%s) - s ))s" | tee -a "$out/summary.txt"
done
cat "$out/summary.txt"
