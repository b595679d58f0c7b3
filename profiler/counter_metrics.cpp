#include "profiler/counter_metrics.hpp"

#include <cupti_result.h>

#include <algorithm>
#include <cstddef>

#include "vq/error.hpp"

namespace vqt::profiler {

const std::vector<CounterInfo>& counter_table() {
  static const std::vector<CounterInfo> t = {
      {CounterId::dram_read_bytes, "dram_read_bytes", "dram__bytes_read.sum", "bytes",
       Aggregate::sum, "bytes read from device memory (HBM)"},
      {CounterId::dram_write_bytes, "dram_write_bytes", "dram__bytes_write.sum", "bytes",
       Aggregate::sum, "bytes written to device memory (L2 evictions inside the range)"},
      {CounterId::l2_bytes, "l2_bytes", "lts__t_bytes.sum", "bytes", Aggregate::sum,
       "bytes of every L2 tag access (L1 requests, fills, atomics)"},
      {CounterId::l2_from_l1_sectors, "l2_from_l1_sectors", "lts__t_sectors_srcunit_tex.sum",
       "sectors", Aggregate::sum, "32-byte L2 sectors requested by L1/TEX (the SMs)"},
      {CounterId::smem_wavefronts, "smem_wavefronts",
       "l1tex__data_pipe_lsu_wavefronts_mem_shared.sum", "wavefronts", Aggregate::sum,
       "shared-memory wavefronts, loads and stores"},
      {CounterId::smem_ld_wavefronts, "smem_ld_wavefronts",
       "l1tex__data_pipe_lsu_wavefronts_mem_shared_op_ld.sum", "wavefronts", Aggregate::sum,
       "shared-memory load wavefronts"},
      {CounterId::smem_bank_conflicts, "smem_bank_conflicts",
       "l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum", "conflicts", Aggregate::sum,
       "extra shared-memory wavefronts caused by bank conflicts, loads and stores"},
      {CounterId::smem_ld_bank_conflicts, "smem_ld_bank_conflicts",
       "l1tex__data_bank_conflicts_pipe_lsu_mem_shared_op_ld.sum", "conflicts", Aggregate::sum,
       "extra shared-memory load wavefronts caused by bank conflicts"},
      {CounterId::smem_ld_requests, "smem_ld_requests", "smsp__inst_executed_op_shared_ld.sum",
       "instructions", Aggregate::sum, "warp-level shared-memory load instructions"},
      {CounterId::achieved_occupancy_pct, "achieved_occupancy_pct",
       "sm__warps_active.avg.pct_of_peak_sustained_active", "%", Aggregate::time_weighted_mean,
       "achieved occupancy: active warps per active cycle / max warps per SM"},
      {CounterId::lsu_wavefronts, "lsu_wavefronts", "l1tex__data_pipe_lsu_wavefronts.sum",
       "wavefronts", Aggregate::sum,
       "L1 data-pipe wavefronts of the LSU: shared-memory and global loads and stores"},
      // Over kernel-replay ranges both add: the kernels run one after the other, so the busiest
      // SM's cycles of each are summed (an upper bound when different SMs are the busiest).
      {CounterId::sm_active_cycles_avg, "sm_active_cycles_avg", "sm__cycles_active.avg", "cycles",
       Aggregate::sum, "cycles an SM has at least one warp, mean over SMs"},
      {CounterId::sm_active_cycles_max, "sm_active_cycles_max", "sm__cycles_active.max", "cycles",
       Aggregate::sum, "cycles the busiest SM has at least one warp"},
      {CounterId::gpu_time_ns, "gpu_time_ns", "gpu__time_duration.sum", "ns", Aggregate::sum,
       "GPU time of the range under profiling (not a timing: use the CUPTI timer)"},
  };
  return t;
}

const CounterInfo& counter_info(CounterId id) {
  const auto& t = counter_table();
  const auto i = static_cast<std::size_t>(id);
  if (i >= t.size() || t[i].id != id) throw Error("counter table out of order");
  return t[i];
}

std::vector<CounterId> all_counters() {
  std::vector<CounterId> ids;
  for (const auto& c : counter_table()) ids.push_back(c.id);
  return ids;
}

const char* to_string(ReplayMode m) {
  return m == ReplayMode::user ? "user" : "kernel";
}

ReplayMode parse_replay_mode(const std::string& s) {
  if (s == "user") return ReplayMode::user;
  if (s == "kernel") return ReplayMode::kernel;
  throw InputError("--replay: '" + s + "' is not a replay mode (accepted: user, kernel)");
}

std::optional<double> Counts::get(CounterId id) const {
  for (const auto& v : values)
    if (v.id == id) return v.available ? std::optional<double>(v.value) : std::nullopt;
  return std::nullopt;
}

namespace {

// Column `col` of rows `width` wide over the ranges, combined by `how`: time-weighted means use
// `range_ns` (a plain mean when it is empty or sums to zero). `who` names the caller in errors.
double aggregate_column(const std::vector<std::vector<double>>& per_range, std::size_t col,
                        std::size_t width, Aggregate how, const std::vector<double>& range_ns,
                        const char* who) {
  double total_ns = 0;
  for (double t : range_ns) total_ns += t;
  double acc = 0, weighted = 0;
  for (std::size_t r = 0; r < per_range.size(); ++r) {
    if (per_range[r].size() != width) throw Error(std::string(who) + ": row size mismatch");
    const double x = per_range[r][col];
    if (r == 0 && (how == Aggregate::max || how == Aggregate::min))
      acc = x;
    else if (how == Aggregate::max)
      acc = std::max(acc, x);
    else if (how == Aggregate::min)
      acc = std::min(acc, x);
    else
      acc += x;
    if (total_ns > 0) weighted += range_ns[r] * x;
  }
  if (how != Aggregate::time_weighted_mean) return acc;
  return total_ns > 0 ? weighted / total_ns : acc / double(per_range.size());
}

}  // namespace

std::vector<double> range_gpu_ns(const std::vector<CounterId>& ids,
                                 const std::vector<bool>& available,
                                 const std::vector<std::vector<double>>& per_range) {
  std::vector<double> ns;
  for (std::size_t i = 0; i < ids.size() && i < available.size(); ++i)
    if (ids[i] == CounterId::gpu_time_ns && available[i]) {
      for (const auto& row : per_range) ns.push_back(i < row.size() ? row[i] : 0.0);
      break;
    }
  return ns;
}

Counts aggregate_ranges(const std::vector<CounterId>& ids, const std::vector<bool>& available,
                        const std::vector<std::vector<double>>& per_range) {
  if (available.size() != ids.size()) throw Error("aggregate_ranges: availability size mismatch");
  const std::vector<double> range_ns = range_gpu_ns(ids, available, per_range);
  Counts out;
  out.ranges = int(per_range.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CounterValue v{ids[i], 0.0, available[i] && !per_range.empty()};
    if (v.available)
      v.value = aggregate_column(per_range, i, ids.size(), counter_info(ids[i]).across_kernels,
                                 range_ns, "aggregate_ranges");
    out.values.push_back(v);
  }
  return out;
}

std::vector<RawCounter> aggregate_raw(const std::vector<std::string>& metrics,
                                      const std::vector<bool>& available,
                                      const std::vector<std::vector<double>>& per_range,
                                      const std::vector<double>& range_ns) {
  if (available.size() != metrics.size()) throw Error("aggregate_raw: availability size mismatch");
  if (!range_ns.empty() && range_ns.size() != per_range.size())
    throw Error("aggregate_raw: range times size mismatch");
  auto ends_with = [](const std::string& s, const char* tail) {
    const std::string t(tail);
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  std::vector<RawCounter> out;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    RawCounter v{metrics[i], 0.0, available[i] && !per_range.empty()};
    if (v.available) {
      const Aggregate how = ends_with(metrics[i], ".sum")   ? Aggregate::sum
                            : ends_with(metrics[i], ".max") ? Aggregate::max
                            : ends_with(metrics[i], ".min") ? Aggregate::min
                                                            : Aggregate::time_weighted_mean;
      v.value = aggregate_column(per_range, i, metrics.size(), how, range_ns, "aggregate_raw");
    }
    out.push_back(v);
  }
  return out;
}

std::string counters_unavailable_hint(int r) {
  switch (r) {
    case CUPTI_ERROR_INSUFFICIENT_PRIVILEGES:
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES:
      return "the driver restricts GPU performance counters to administrators (run as root, or "
             "load nvidia with NVreg_RestrictProfilingToAdminUsers=0; "
             "https://developer.nvidia.com/ERR_NVGPUCTRPERM)";
    case CUPTI_ERROR_NOT_SUPPORTED:
    case CUPTI_ERROR_LEGACY_PROFILER_NOT_SUPPORTED:
    case CUPTI_ERROR_API_NOT_IMPLEMENTED:
    case CUPTI_ERROR_NOT_INITIALIZED:
      return "this GPU, driver or sandbox (e.g. gVisor) does not expose performance counters";
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED:
      return "performance counters are not supported on this virtualized GPU (vGPU)";
    case CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED:
      return "performance counters are not supported in confidential-computing mode";
    case CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED:
      return "performance counters are not supported on CMP devices";
    case CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED:
      return "performance counters are not supported on this MIG instance";
    case CUPTI_ERROR_SLI_DEVICE_NOT_SUPPORTED:
      return "performance counters are not supported on SLI devices";
    case CUPTI_ERROR_WSL_DEVICE_NOT_SUPPORTED:
      return "performance counters are not supported under WSL";
    case CUPTI_ERROR_INVALID_CHIP_NAME:
      return "this CUPTI does not know the GPU's chip (a newer CUPTI is needed)";
    case CUPTI_ERROR_HARDWARE_BUSY:
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
    case CUPTI_ERROR_OLD_PROFILER_API_INITIALIZED:
      return "another profiler (Nsight Compute, Nsight Systems, DCGM profiling or another CUPTI "
             "client) holds the performance counters";
    default:
      return {};
  }
}

}  // namespace vqt::profiler
