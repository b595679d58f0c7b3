#!/usr/bin/env bash
# Device call 1 of session 8: every gpu-tier test at this commit, then model-top-k over the 40
# llama-65b GEMV problems with the refitted coefficients (bench/scripts/gpu_check.sh tests live65).
# The live winners are compared offline with the committed exhaustive data.
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
mkdir -p .device/main && tar -xJf .device/main.tar.xz -C .device/main
OUT=$out bash bench/scripts/gpu_check.sh .device/main ${STEPS:-tests live65} > "$out/gpu_check.txt" 2>&1
nvidia-smi --query-gpu=name,uuid,driver_version --format=csv,noheader >> "$out/summary.txt"
cat "$out/summary.txt"
