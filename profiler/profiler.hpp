// Profiler: the measurement rule of DESIGN.md around a RegionTimer.
//
// measure(launch) runs `launch` (which enqueues one sample's work on the stream: one or several
// kernels/copies) warm-up times, then per sample: flush L2 (cudaMemsetAsync over a buffer of 2x
// the L2 size, outside the timed region), read the SM clock, time one region, read the clock
// again; until the Convergence rule (stats.hpp) stops. The sample is the region's busy time (sum
// of GPU activity durations under CUPTI, or the event pair's time), its gaps are kept beside it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

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
