#!/usr/bin/env bash
# Device calls of session 11: re-prove the issue-6 targets on main, and find what the host launch
# cost depends on.
#   STEP=host  host_launch_probe (3 processes x 3 passes over every CPU), the launch ceilings in
#              three processes, two full `vqtune measure` processes (run-to-run), every gpu test
#   STEP=suite the whole llama-7b suite fresh and rerun on one file; then the llama-7b GEMV
#              problems again in a second process into a second file (the same candidates timed
#              in separate processes), both files returned
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
tar -xJf .device/main.tar.xz -C .device   # the archive holds main/bin, main/lib
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
B=.device/main/bin
V=$B/vqtune
sum=$out/summary.txt
nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader >> "$sum"
for step in ${STEP:-host}; do
case "$step" in
host)
  { lscpu; echo; numactl --hardware 2>&1; echo; cat /sys/devices/system/clocksource/clocksource0/current_clocksource;
    nvidia-smi topo -m; } > "$out/host.txt" 2>&1
  # SASS of the fused GEMV instances (the build machine has no cuobjdump), read offline.
  CUOBJ=$(command -v cuobjdump || echo /usr/local/cuda/bin/cuobjdump)
  "$CUOBJ" -sass $V 2>&1 | xz -1 > "$out/vqtune-sass.txt.xz"
  for i in 1 2 3; do
    s=$(date +%s)
    timeout 60 $B/host_launch_probe 3 > "$out/probe-$i.csv" 2> "$out/probe-$i.err"
    echo "probe $i rc=$? $(( $(date +%s) - s ))s" >> "$sum"
  done
  OUT=$out/ceil3 bash bench/scripts/gpu_check.sh .device/main ceil3 > /dev/null 2>&1
  grep ceil3 "$out/ceil3/summary.txt" >> "$sum"
  for i in 1 2; do
    s=$(date +%s)
    timeout 150 $V measure --no-db --json > "$out/measure-$i.json" 2> "$out/measure-$i.err"
    echo "measure $i rc=$? $(( $(date +%s) - s ))s" >> "$sum"
  done
  OUT=$out/tests bash bench/scripts/gpu_check.sh .device/main tests > /dev/null 2>&1
  grep rc= "$out/tests/summary.txt" >> "$sum"
  ;;
launch)
  # Is the host launch cost vqtune measures inflated by CUPTI being attached? The same ceiling
  # with --event-timer (CUPTI never attached) and with CUPTI, three processes each, and the
  # probe (no CUPTI) once.
  for t in event cupti event cupti event cupti; do
    f=""; [ $t = event ] && f=--event-timer
    timeout 60 $V measure --no-db $f --only launch,launch_gpu,empty_kernel --json > "$out/l-$t-$RANDOM.json" 2>/dev/null
  done
  timeout 30 $B/host_launch_probe 1 > "$out/probe-l.csv" 2>&1
  echo "launch test done" >> "$sum"
  ;;
suite)
  s=$(date +%s)
  timeout ${SUITE_S:-560} $V tune --model llama-7b --coefficients bench/results/data/h100-coefficients.json \
    --db "$out/suite.db" > "$out/suite.txt" 2> "$out/suite.err"
  echo "suite fresh rc=$? $(( $(date +%s) - s ))s" >> "$sum"
  s=$(date +%s)
  timeout 60 $V tune --model llama-7b --coefficients bench/results/data/h100-coefficients.json \
    --db "$out/suite.db" > "$out/suite-rerun.txt" 2> "$out/suite-rerun.err"
  echo "suite rerun rc=$? $(( $(date +%s) - s ))s" >> "$sum"
  ;;
repeat)
  s=$(date +%s)
  timeout 300 $V tune --model llama-7b --op gemv --coefficients bench/results/data/h100-coefficients.json \
    --db "$out/repeat.db" > "$out/repeat.txt" 2> "$out/repeat.err"
  echo "repeat (gemv, second process) rc=$? $(( $(date +%s) - s ))s" >> "$sum"
  ;;
esac
done
cd "$out" && tar -cf all.tar --exclude=all.tar . && cat summary.txt
