// The hardware counters vqtune reads through the CUPTI range profiler (profiler/counters.hpp), in
// plain C++ so that the table, the aggregation of kernel-replay ranges and the error hints are
// tested without a GPU.
//
// Every counter is one CUPTI metric (Nsight Compute names). Counts of one launch of a LaunchFn:
// under user replay the LaunchFn is one range (all its kernels together); under kernel replay
// each kernel is a range, and aggregate_ranges() adds counts and weights ratios by GPU time.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vqt::profiler {

enum class CounterId {
  dram_read_bytes,         // dram__bytes_read.sum
  dram_write_bytes,        // dram__bytes_write.sum
  l2_bytes,                // lts__t_bytes.sum: every L2 tag access (from L1, fills, ...)
  l2_from_l1_sectors,      // lts__t_sectors_srcunit_tex.sum: L1 <-> L2 traffic, 32-byte sectors
  smem_wavefronts,         // l1tex__data_pipe_lsu_wavefronts_mem_shared.sum (loads + stores)
  smem_ld_wavefronts,      // ..._op_ld.sum
  smem_bank_conflicts,     // l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum
  smem_ld_bank_conflicts,  // ..._op_ld.sum
  smem_ld_requests,        // smsp__inst_executed_op_shared_ld.sum (warp-level instructions)
  achieved_occupancy_pct,  // sm__warps_active.avg.pct_of_peak_sustained_active
  lsu_wavefronts,          // l1tex__data_pipe_lsu_wavefronts.sum (shared and global, all SMs)
  sm_active_cycles_avg,    // sm__cycles_active.avg
  sm_active_cycles_max,    // sm__cycles_active.max (the busiest SM)
  gpu_time_ns,             // gpu__time_duration.sum (under profiling, not a timing)
};

// How a metric combines over kernel-replay ranges (one range per kernel).
enum class Aggregate { sum, time_weighted_mean, max, min };

struct CounterInfo {
  CounterId id;
  const char* key;     // snake_case name used in JSON: "dram_read_bytes"
  const char* metric;  // CUPTI / Nsight Compute metric name
  const char*
      unit;  // "bytes", "sectors", "wavefronts", "conflicts", "instructions", "cycles", "%", "ns"
  Aggregate across_kernels;
  const char* what;  // one line
};

// Every counter, in CounterId order.
const std::vector<CounterInfo>& counter_table();
const CounterInfo& counter_info(CounterId id);
std::vector<CounterId> all_counters();

// How a LaunchFn is replayed for counters that need several passes.
//   user:   the whole LaunchFn is one user range and is run once per pass (the L2 is cleaned
//           before every pass, outside the range); it must be idempotent, as for timing.
//   kernel: CUPTI replays each kernel itself (saving and restoring device memory), one range per
//           kernel; the cache state between CUPTI's passes is CUPTI's.
enum class ReplayMode { user, kernel };
const char* to_string(ReplayMode m);
ReplayMode parse_replay_mode(const std::string& s);  // InputError naming --replay

struct CounterValue {
  CounterId id;
  double value = 0;
  bool available = false;  // false: the chip or the driver does not expose the metric
};

// Any other metric by its Nsight Compute name (`vqtune profile --metrics`), read beside the
// table's counters and reported as CUPTI gives it.
struct RawCounter {
  std::string metric;  // "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum"
  double value = 0;
  bool available = false;  // false: the chip cannot schedule it with the others
};

struct Counts {
  std::vector<CounterValue> values;      // one per requested counter, in request order
  std::vector<RawCounter> raw;           // one per requested raw metric, in request order
  ReplayMode replay = ReplayMode::user;  // how they were collected
  int passes = 0;                        // passes the replay took
  int ranges = 0;                        // ranges decoded (user: 1; kernel: kernels launched)
  std::string chip;                      // CUPTI chip name, e.g. "gh100"
  std::optional<double> get(CounterId id) const;  // empty when not requested or unavailable
};

// Combines per-range values (kernel replay: one row per kernel, columns in `ids` order) into one
// Counts: sums add; time-weighted means are weighted by gpu_time_ns when it is among `ids` (else
// an unweighted mean). `available[i]` says whether ids[i] was collected.
Counts aggregate_ranges(const std::vector<CounterId>& ids, const std::vector<bool>& available,
                        const std::vector<std::vector<double>>& per_range);

// Each range's GPU time (the gpu_time_ns column of `per_range`), empty when it was not collected.
std::vector<double> range_gpu_ns(const std::vector<CounterId>& ids,
                                 const std::vector<bool>& available,
                                 const std::vector<std::vector<double>>& per_range);

// Raw metrics over kernel-replay ranges (one row per range, one column per metric): ".sum"
// metrics add, ".max" / ".min" take the extreme, every other rollup (avg, ratio, pct, per_second)
// is weighted by the ranges' GPU time `range_ns` (unweighted when it is empty or all zero).
std::vector<RawCounter> aggregate_raw(const std::vector<std::string>& metrics,
                                      const std::vector<bool>& available,
                                      const std::vector<std::vector<double>>& per_range,
                                      const std::vector<double>& range_ns);

// Why counters cannot be read, for a CUPTI result code (CUptiResult as int), in one line with
// what to do; empty for codes that do not mean "unavailable here" (plain failures).
std::string counters_unavailable_hint(int cupti_result);

}  // namespace vqt::profiler
