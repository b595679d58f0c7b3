#!/bin/bash
set -u
D=$PWD/.device-s6
export LD_LIBRARY_PATH=$D/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
V=$D/bin/vqtune
REAL_OUT=$OUT; mkdir -p $OUT/w; OUT=$OUT/w
S=$OUT/summary.txt
nvidia-smi --query-gpu=name,driver_version,uuid,clocks.sm,clocks.max.sm --format=csv > $OUT/gpu.txt 2>&1
date -u >> $OUT/gpu.txt
M="sm__cycles_active.avg,sm__cycles_active.max,sm__cycles_elapsed.max,l1tex__cycles_active.avg,l1tex__cycles_active.max"
M="$M,l1tex__throughput.avg.pct_of_peak_sustained_elapsed,l1tex__throughput.avg.pct_of_peak_sustained_active"
M="$M,l1tex__data_pipe_lsu_wavefronts.avg.pct_of_peak_sustained_elapsed,l1tex__data_pipe_lsu_wavefronts_mem_shared.sum,l1tex__data_pipe_lsu_wavefronts.sum"
M="$M,l1tex__lsuin_requests.avg.pct_of_peak_sustained_elapsed,l1tex__lsuin_requests.sum,l1tex__t_sectors.avg.pct_of_peak_sustained_elapsed,l1tex__t_requests.avg.pct_of_peak_sustained_elapsed"
M="$M,l1tex__m_xbar2l1tex_read_sectors.avg.pct_of_peak_sustained_elapsed,l1tex__lsu_writeback_active.avg.pct_of_peak_sustained_elapsed,l1tex__data_bank_reads.avg.pct_of_peak_sustained_elapsed"
M="$M,l1tex__data_bank_writes.avg.pct_of_peak_sustained_elapsed,l1tex__f_wavefronts.avg.pct_of_peak_sustained_elapsed,l1tex__texin_sm2tex_req_cycles_active.avg.pct_of_peak_sustained_elapsed"
M="$M,sm__pipe_tensor_op_hmma_cycles_active.avg.pct_of_peak_sustained_elapsed,sm__inst_executed_pipe_tensor_op_hmma.sum,sm__pipe_tensor_op_hmma_cycles_active.sum"
M="$M,smsp__inst_executed_pipe_lsu.avg.pct_of_peak_sustained_elapsed,sm__throughput.avg.pct_of_peak_sustained_elapsed,smsp__issue_active.avg.pct_of_peak_sustained_elapsed"
M="$M,smsp__inst_executed.sum,sm__pipe_alu_cycles_active.avg.pct_of_peak_sustained_elapsed,sm__pipe_fma_cycles_active.avg.pct_of_peak_sustained_elapsed,sm__inst_executed_pipe_uniform.avg.pct_of_peak_sustained_elapsed"
M="$M,smsp__warp_issue_stalled_long_scoreboard_per_warp_active.pct,smsp__warp_issue_stalled_short_scoreboard_per_warp_active.pct,smsp__warp_issue_stalled_wait_per_warp_active.pct,smsp__warp_issue_stalled_membar_per_warp_active.pct,smsp__warp_issue_stalled_barrier_per_warp_active.pct,smsp__warp_issue_stalled_math_pipe_throttle_per_warp_active.pct,smsp__warp_issue_stalled_mio_throttle_per_warp_active.pct,smsp__warp_issue_stalled_lg_throttle_per_warp_active.pct"
M="$M,smsp__warps_active.avg.per_cycle_active,sm__warps_active.avg.pct_of_peak_sustained_elapsed"
for try in $(seq 1 14); do
  timeout 60 $V profile --vq aqlm-2x8 --n 4096 --k 4096 --cap-s 0.05 --metrics "$M" --json > $OUT/probe.json 2> $OUT/probe.err; rc=$?
  bad=$(grep -o "has no metric '[^']*'" $OUT/probe.err | sed "s/has no metric '//; s/'$//")
  if [ $rc -eq 2 ] && [ -n "$bad" ]; then echo "dropped $bad" >> $S; M=$(echo "$M" | tr ',' '\n' | grep -vxF "$bad" | paste -sd,); else echo "probe rc $rc" >> $S; break; fi
done
echo "$M" > $OUT/metrics.txt
K="cbsplit=1,fusion=shuffle,dataflow=token_split"
run() { # name vq n k batch candidate
  timeout 90 $V profile --vq $2 --n $3 --k $4 --batch $5 --cap-s 0.3 --candidate "$6" --metrics "$M" --json > $OUT/$1.json 2> $OUT/$1.err; echo "$1 rc $?" >> $S; }
run q1 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=4"
run q2 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x64x128,threads=128,splitk=1"
run q3 quip#-4 22016 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=1"
run q4 quip#-4 8192 8192 16 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=16x256x128,threads=512,splitk=4"
run b1 aqlm-2x8 22016 8192 1 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=1x64x128,threads=128,splitk=1"
run b2 aqlm-2x8 22016 8192 1 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=1x64x128,threads=128,splitk=4"
run b3 aqlm-2x8 22016 8192 1 "reg=0,smem=256,copies=4,l1bypass=0,$K,tile=1x256x128,threads=512,splitk=4"
run g1 gptvq-2 22016 8192 1 "reg=0,smem=0,copies=1,l1bypass=0,$K,tile=1x64x128,threads=128,splitk=4"
run g2 gptvq-2 22016 8192 1 "reg=0,smem=256,copies=1,l1bypass=0,$K,tile=1x256x128,threads=512,splitk=4"
cat $S
python3 - <<'PY'
import json,os,glob
out=os.environ['OUT']
for f in sorted(glob.glob(out+'/[qbg][0-9].json')):
    try: j=json.load(open(f))
    except Exception as e: print(f, 'bad', e); continue
    t=[r for r in j['rows'] if r['key']=='time_s'][0]
    m={x['metric']:x['value'] for x in j['counters']['metrics']}
    print(os.path.basename(f), 'time %.1f us' % (t['counted']*1e6), ' '.join('%s=%.3g'%(k.split('.')[0][-28:],v) for k,v in m.items() if 'pct' in k)[:600])
PY
tar czf $REAL_OUT/all.tgz -C $REAL_OUT w
rm -rf $REAL_OUT/w
