#!/bin/bash
set -u
D=$PWD/.device-s5
export LD_LIBRARY_PATH=$D/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
V=$D/bin/vqtune
REAL_OUT=$OUT; mkdir -p $OUT/w; OUT=$OUT/w
S=$OUT/summary.txt
nvidia-smi --query-gpu=name,driver_version,uuid,clocks.sm,clocks.max.sm --format=csv > $OUT/gpu.txt 2>&1
date -u >> $OUT/gpu.txt
timeout 240 $D/bin/test_counters_gpu > $OUT/test_counters_gpu.txt 2>&1; echo "test_counters_gpu rc $?" >> $S
VQT_CLI_BINARY=$V timeout 300 $D/bin/test_cli_profile_gpu > $OUT/test_cli_profile_gpu.txt 2>&1; echo "test_cli_profile_gpu rc $?" >> $S
M=""
for s in long_scoreboard lg_throttle mio_throttle short_scoreboard barrier wait math_pipe_throttle tex_throttle not_selected selected no_instruction dispatch_stall drain membar branch_resolving imc_miss; do
  M="$M,smsp__warp_issue_stalled_${s}_per_warp_active.pct"; done
M="${M#,},smsp__issue_active.avg.pct_of_peak_sustained_active,smsp__inst_executed.sum,sm__cycles_elapsed.max,smsp__warps_active.avg.per_cycle_active"
M="$M,l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum,l1tex__t_sectors_pipe_lsu_mem_global_op_ld.sum,l1tex__t_sectors_pipe_lsu_mem_global_op_ld_lookup_hit.sum,l1tex__t_sectors_pipe_lsu_mem_global_op_ld_lookup_miss.sum"
M="$M,l1tex__data_pipe_lsu_wavefronts_mem_lg.sum,l1tex__data_pipe_lsu_wavefronts.sum,l1tex__m_xbar2l1tex_read_sectors.sum,l1tex__throughput.avg.pct_of_peak_sustained_active,l1tex__lsu_writeback_active.avg.pct_of_peak_sustained_active"
M="$M,l1tex__data_bank_reads.avg.pct_of_peak_sustained_elapsed,l1tex__t_set_conflicts_pipe_lsu_mem_global_op_ld.sum,l1tex__t_set_accesses_pipe_lsu_mem_global_op_ld.sum,smsp__sass_inst_executed_op_global_ld.sum,sm__inst_executed_pipe_lsu.sum,l1tex__f_wavefronts.sum"
for try in $(seq 1 12); do
  timeout 60 $V profile --vq aqlm-3 --n 4096 --k 4096 --cap-s 0.05 --metrics "$M" --json > $OUT/probe.json 2> $OUT/probe.err; rc=$?
  bad=$(grep -o "has no metric '[^']*'" $OUT/probe.err | sed "s/has no metric '//; s/'$//")
  if [ $rc -eq 2 ] && [ -n "$bad" ]; then echo "dropped $bad" >> $S; M=$(echo "$M" | tr ',' '\n' | grep -vxF "$bad" | paste -sd,); else echo "probe rc $rc" >> $S; break; fi
done
echo "$M" > $OUT/metrics.txt
K="cbsplit=1,fusion=shuffle,dataflow=token_split"
run() { # name vq n k batch candidate
  timeout 90 $V profile --vq $2 --n $3 --k $4 --batch $5 --cap-s 0.3 --candidate "$6" --metrics "$M" --json > $OUT/$1.json 2> $OUT/$1.err; echo "$1 rc $?" >> $S; }
run a1 aqlm-3 12288 4096 1 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=1x128x128,threads=256,splitk=1"
run a2 aqlm-3 12288 4096 16 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=16x128x128,threads=256,splitk=1"
run a3 aqlm-3 12288 4096 16 "reg=0,smem=4096,copies=1,l1bypass=0,$K,tile=16x128x128,threads=256,splitk=1"
run a4 aqlm-3 12288 4096 16 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=16x128x128,threads=256,splitk=8"
run a5 aqlm-3 12288 4096 1 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=1x128x128,threads=256,splitk=8"
run a6 aqlm-3 12288 4096 8 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=8x128x128,threads=256,splitk=1"
run g1 gptvq-2 4096 4096 1 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=1x256x128,threads=512,splitk=8"
run g2 gptvq-2 4096 4096 1 "reg=0,smem=256,copies=1,l1bypass=0,$K,tile=1x128x128,threads=256,splitk=8"
run g3 gptvq-2 4096 4096 1 "reg=0,smem=256,copies=1,l1bypass=0,$K,tile=1x256x128,threads=512,splitk=8"
run g4 gptvq-2 4096 4096 1 "reg=0,smem=256,copies=1,l1bypass=0,$K,tile=1x128x128,threads=256,splitk=1"
run q1 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=4"
run q2 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x64x128,threads=128,splitk=1"
cat $S
python3 - <<'PY'
import json,os,glob
out=os.environ['OUT']
for f in sorted(glob.glob(out+'/[agq][0-9].json')):
    try: j=json.load(open(f))
    except Exception as e: print(f, 'bad', e); continue
    t=[r for r in j['rows'] if r['key']=='time_s'][0]
    print(os.path.basename(f), 'time %.1f us pred %.1f' % (t['counted']*1e6, t['predicted']*1e6))
PY
tar czf $REAL_OUT/all.tgz -C $REAL_OUT w
rm -rf $REAL_OUT/w
