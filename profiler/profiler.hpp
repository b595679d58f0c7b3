// Profiler: the measurement rule of DESIGN.md around a RegionTimer.
//
// measure(launch) runs `launch` (which enqueues one sample's work on the stream: one or several
// kernels/copies) warm-up times, then per sample: flush L2 (cudaMemsetAsync over a buffer of 2x
// the L2 size, outside the timed region), read the SM clock, time one region, read the clock
// again; until the Convergence rule (stats.hpp) stops. The sample is the region's busy time (sum
// of GPU activity durations under CUPTI, or the event pair's time), its gaps are kept beside it.
//
// Data sets: where a buffer lands in physical memory (which L2 slices and DRAM channels its lines
// hash to) moves a kernel's time by a few per cent (5 % between 16 copies of one GEMV winner's
// data), and a small hot buffer read through L2 (a codebook behind an L1 bypass) by up to 67 %
// (H100, bench/results/gpu-check-2026-12-07-s11.md and -s13.md).
// One process sees one placement per allocation, so the same candidate timed in two processes
// differs by that much. measure(sets) takes one launch per copy of the data (identical contents,
// separate allocations) and makes one sample the mean of one cold launch of each copy, each after
// its own flush, in its own timed region: a process then measures the mean over several
// placements, and the convergence rule sees only the noise within them.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "profiler/clock_monitor.hpp"
#include "profiler/stats.hpp"
#include "profiler/timer.hpp"

namespace vqt::profiler {

struct ProfilerOptions {
  int device = 0;
  bool prefer_cupti = true;
  bool flush_l2 = true;
  int warmup_runs = 2;
  bool watch_clocks = true;  // NVML; samples taken at a dropped SM clock are discarded
  // Copies of each problem's data that the tuner's measurers allocate and time over
  // (measure(sets)); 1: one allocation, the time of wherever it landed. `vqtune tune` and
  // `vqtune profile` default to cli::kDefaultDataSets.
  int data_sets = 1;
};

struct Measurement {
  TimerKind timer = TimerKind::cuda_event;
  Summary time;        // seconds of busy GPU time per sample, over the kept samples
  double gap_s = 0;    // median idle time between a sample's activities (CUPTI only)
  double span_s = 0;   // median first-start-to-last-end of a sample
  int activities = 0;  // kernels + copies per sample (last sample; -1: event timer)
  std::size_t samples_total = 0;
  std::size_t discarded_throttled = 0;
  std::size_t lost = 0;  // regions in which the timer saw no work (is_timed_sample), not samples
  bool sustained_throttle = false;
  StopReason stop = StopReason::not_yet;
  double elapsed_s = 0;     // wall time of the whole measurement
  double sm_clock_mhz = 0;  // median SM clock of the kept samples (0: unknown)
  // Per data set (measure(sets)): the median of its launches' busy times over the kept samples;
  // one entry for a single launch. Their spread is the placement's effect on this kernel.
  std::vector<double> set_median_s;
  bool converged() const { return stop == StopReason::converged; }
};

// Returns the launch's error (cudaSuccess when enqueued); measure() throws CudaError on failure.
using LaunchFn = std::function<cudaError_t(cudaStream_t)>;

class Profiler {
 public:
  explicit Profiler(const ProfilerOptions& opt = {});
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  TimerKind timer_kind() const { return timer_->kind(); }
  // Why CUPTI is not used (empty when it is).
  const std::string& cupti_fallback_reason() const { return why_not_cupti_; }
  const ClockMonitor* clocks() const { return clocks_.get(); }
  const ProfilerOptions& options() const { return opt_; }

  // `flush_l2 = false` keeps the cache warm (the L2 ceiling measures exactly that).
  Measurement measure(const LaunchFn& launch, const ConvergenceRule& rule = {},
                      cudaStream_t stream = nullptr, bool flush_l2 = true);
  // One launch per data set (see the header comment); a sample is their mean busy time. Every set
  // is warmed up. Throws vqt::Error on an empty list.
  Measurement measure(const std::vector<LaunchFn>& sets, const ConvergenceRule& rule = {},
                      cudaStream_t stream = nullptr, bool flush_l2 = true);

  // Building blocks for callers that run their own loop (bench harness).
  RegionTimer& timer() { return *timer_; }
  void flush_l2(cudaStream_t stream);
  std::size_t l2_bytes() const { return l2_bytes_; }

 private:
  ProfilerOptions opt_;
  std::unique_ptr<RegionTimer> timer_;
  std::string why_not_cupti_;
  std::unique_ptr<ClockMonitor> clocks_;
  void* flush_buf_ = nullptr;
  std::size_t flush_bytes_ = 0;
  std::size_t l2_bytes_ = 0;
};

}  // namespace vqt::profiler
