#!/usr/bin/env bash
# Device call of session 9 (planned in session 8, which got no machine). On an H100:
# model-top-k over the 40 llama-65b GEMV problems with the refitted coefficients
# (bench/scripts/gpu_check.sh live65; the live winners are judged offline against the committed
# exhaustive data with bench/scripts/live_vs_exhaustive.py); on another GPU the gpu-tier tests
# instead. Then the counters of three aqlm-3 11008 x 4096 candidates (the L1 path at batch 16
# and 1, all-in-shared-memory at 16) and of three aqlm-2x8 22016 x 8192 batch-16 ones (128
# threads split 1, the measured best, against 128/4 and 512/4) with session 6's metric list.
set -u
out=${OUT:-/tmp/out}; mkdir -p "$out"
tar -xJf .device/main.tar.xz -C .device   # the archive holds main/bin, main/lib
# live65 is judged against the H100's exhaustive data: on another GPU only the tests and counters.
case "$(nvidia-smi --query-gpu=name --format=csv,noheader)" in
  *H100*) steps=${STEPS:-live65} ;;
  *) steps=${STEPS:-tests} ;;
esac
OUT=$out bash bench/scripts/gpu_check.sh .device/main $steps > "$out/gpu_check.txt" 2>&1
nvidia-smi --query-gpu=name,uuid,driver_version --format=csv,noheader >> "$out/summary.txt"
export LD_LIBRARY_PATH=$PWD/.device/main/lib:/usr/local/cuda/lib64
M=$(cat bench/results/data/profile-s6/metrics.txt)
K="cbsplit=1,fusion=shuffle,dataflow=token_split"
prof() { # name batch candidate [vq n k]
  timeout 90 .device/main/bin/vqtune profile --vq "${4:-aqlm-3}" --n "${5:-11008}" --k "${6:-4096}" \
    --batch "$2" --cap-s 0.3 --candidate "$3" --metrics "$M" --json > "$out/$1.json" 2> "$out/$1.err"
  echo "profile $1 rc=$?" >> "$out/summary.txt"
}
prof l1b16 16 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=16x64x128,threads=128,splitk=2"
prof sm16 16 "reg=0,smem=4096,copies=1,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=2"
prof l1b1 1 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=1x64x128,threads=128,splitk=2"
S="reg=0,smem=256,copies=4,l1bypass=0,$K"
prof r2s1 16 "$S,tile=16x64x128,threads=128,splitk=1" aqlm-2x8 22016 8192
prof r2s4 16 "$S,tile=16x64x128,threads=128,splitk=4" aqlm-2x8 22016 8192
prof r2w4 16 "$S,tile=16x256x128,threads=512,splitk=4" aqlm-2x8 22016 8192
cat "$out/summary.txt"
