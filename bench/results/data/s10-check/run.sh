#!/usr/bin/env bash
# Device call of session 10. First the counters that test two explanations of the largest GEMV
# model errors (bench/results/NOTES-gemv.md, session 10), each with the L1 and L2 hit and slice
# counters of l1-metrics.txt (names checked offline against the GH100 metric tables):
#  - aqlm-3 through L1 (no bypass) at batch 16 runs ~1.55x the model's chain where it is latency
#    bound, at batch 1 it matches: are the codebook lookups missing L1 at batch 16 (the activation
#    rows read with __ldg share L1 with the 128 KiB of codebooks)?  l1b16*, l1b1*; sm16 is the
#    measured best there (all in shared memory), l1b16w the L1 path with 16 warps in one block.
#  - aqlm-3 bypassing L1 is 1.7x faster per lookup at 8192 x 8192 than at 4096 x 4096 (same
#    candidate): is it the hottest line's L2 slice (lts max/avg per slice)?  byp8k, byp4k.
# And session 9's aqlm-2x8 22016 x 8192 batch-16 trio. First (about 2 minutes) model-top-k over
# the 40 llama-65b GEMV problems with the refitted coefficients, judged offline with
# bench/scripts/live_vs_exhaustive.py (an H100 only); then the profiles, most wanted first (a
# call that runs out of time leaves what it wrote).
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
tar -xJf .device/main.tar.xz -C .device   # the archive holds main/bin, main/lib
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
V=.device/main/bin/vqtune
nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader > "$out/summary.txt"
# LIVE=0 skips live65 (a call with little device time left: the profiles only).
case "${LIVE:-1}:$(nvidia-smi --query-gpu=name --format=csv,noheader)" in
  0:*) echo "live65 skipped (LIVE=0)" >> "$out/summary.txt" ;;
  *H100*)
    s=$(date +%s)
    timeout 200 $V tune --model llama-65b --op gemv --coefficients \
      bench/results/data/h100-gemv-coefficients.json --cap-s 0.05 --db "$out/live65.db" \
      > "$out/live65.txt" 2> "$out/live65.err"
    echo "live65 model-top-k rc=$? $(( $(date +%s) - s ))s" >> "$out/summary.txt" ;;
  *) echo "not an H100: live65 skipped (judged against the H100's exhaustive data)" >> "$out/summary.txt" ;;
esac
M="$(cat bench/results/data/profile-s6/metrics.txt),$(cat bench/results/data/s10-check/l1-metrics.txt)"
K="cbsplit=1,fusion=shuffle,dataflow=token_split"
prof() { # name vq n k batch candidate
  local s=$(date +%s)
  timeout 60 $V profile --vq "$2" --n "$3" --k "$4" --batch "$5" --cap-s 0.3 --candidate "$6" \
    --metrics "$M" --json \
    > "$out/$1.json" 2> "$out/$1.err"
  echo "profile $1 rc=$? $(( $(date +%s) - s ))s" >> "$out/summary.txt"
}
G="reg=0,smem=0,copies=1,l1bypass=0,$K"
B="reg=0,smem=0,copies=1,l1bypass=1,$K"
# reg4 / reg0, the register tier's select chain (session 10's new term): the same all-in-shared-
# memory table with and without 4 entries per level in registers, one 4-warp block per SM
# (instructions executed per code and the stall reasons say how much is issue, how much wait).
S="reg=0,smem=256,copies=4,l1bypass=0,$K"
prof l1b16 aqlm-3 11008 4096 16 "$G,tile=16x64x128,threads=128,splitk=2"
prof l1b1 aqlm-3 11008 4096 1 "$G,tile=1x64x128,threads=128,splitk=2"
prof sm16 aqlm-3 11008 4096 16 "reg=0,smem=4096,copies=1,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=2"
prof l1b16w aqlm-3 11008 4096 16 "$G,tile=16x256x128,threads=512,splitk=2"
prof l1b16k1 aqlm-3 4096 4096 16 "$G,tile=16x64x128,threads=128,splitk=1"
prof reg4 aqlm-3 12288 4096 16 "reg=4,smem=4096,copies=1,l1bypass=0,$K,tile=16x64x128,threads=128,splitk=1"
prof reg0 aqlm-3 12288 4096 16 "reg=0,smem=4096,copies=1,l1bypass=0,$K,tile=16x64x128,threads=128,splitk=1"
prof byp8k aqlm-3 8192 8192 1 "$B,tile=1x64x128,threads=128,splitk=4"
prof byp4k aqlm-3 4096 4096 1 "$B,tile=1x64x128,threads=128,splitk=4"
prof l1b1k1 aqlm-3 4096 4096 1 "$G,tile=1x64x128,threads=128,splitk=1"
prof r2s1 aqlm-2x8 22016 8192 16 "$S,tile=16x64x128,threads=128,splitk=1"
prof r2s4 aqlm-2x8 22016 8192 16 "$S,tile=16x64x128,threads=128,splitk=4"
prof r2w4 aqlm-2x8 22016 8192 16 "$S,tile=16x256x128,threads=512,splitk=4"
cat "$out/summary.txt"
