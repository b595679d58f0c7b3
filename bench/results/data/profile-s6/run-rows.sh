#!/bin/bash
set -u
D=$PWD/.device-s6b
export LD_LIBRARY_PATH=$D/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
V=$D/bin/vqtune
REAL_OUT=$OUT; mkdir -p $OUT/w; OUT=$OUT/w
S=$OUT/summary.txt
nvidia-smi --query-gpu=name,driver_version,uuid --format=csv > $OUT/gpu.txt 2>&1; date -u >> $OUT/gpu.txt
timeout 240 $D/bin/test_counters_gpu > $OUT/test_counters_gpu.txt 2>&1; echo "test_counters_gpu rc $?" >> $S
VQT_CLI_BINARY=$V timeout 300 $D/bin/test_cli_profile_gpu > $OUT/test_cli_profile_gpu.txt 2>&1; echo "test_cli_profile_gpu rc $?" >> $S
K="cbsplit=1,fusion=shuffle,dataflow=token_split"
run() { timeout 90 $V profile --vq $2 --n $3 --k $4 --batch $5 --cap-s 0.3 --candidate "$6" > $OUT/$1.txt 2> $OUT/$1.err; echo "$1 rc $?" >> $S; }
run q1 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=4"
run q2 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x64x128,threads=128,splitk=1"
run q3 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=1"
run b1 aqlm-2x8 22016 8192 1 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=1x64x128,threads=128,splitk=1"
run g1 gptvq-2 22016 8192 1 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=1x64x128,threads=128,splitk=4"
cat $S; grep -E "PASSED|FAILED|SKIPPED" $OUT/test_*.txt | tail -8
for f in q1 q2 q3 b1 g1; do echo "== $f"; grep -E "^(time|DRAM write|shared wave|L1 data|SM balance|note)" $OUT/$f.txt; done
tar czf $REAL_OUT/all.tgz -C $REAL_OUT w; rm -rf $REAL_OUT/w
