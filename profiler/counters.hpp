// CounterProfiler: hardware counters of one launch of a LaunchFn through the CUPTI range profiler
// (CUDA 12.6+ API: cupti_range_profiler.h + cupti_profiler_host.h; libcupti loads libnvperf_host
// at run time). The counters are listed in counter_metrics.hpp.
//
// Counting is a separate, explicit step: the range profiler is enabled on the context only inside
// count() and disabled before it returns, so timing (the CUPTI activity timer of timer.hpp, which
// stays on) is never taken while counters are being collected. Replay of multi-pass metric sets is
// ReplayMode::user by default: the LaunchFn runs once per pass inside one user range, and before
// every pass (outside the range) the L2 is cleaned: a read of 3x the L2 size with normal loads
// evicts everything, so no dirty line of an earlier pass or of the timer's memset flush is written
// back inside the range, and every pass starts from the same cold, clean cache.
//
// When counters cannot be read here (no privileges, a sandbox such as gVisor, vGPU, MIG, another
// profiler holding them, built without CUPTI) the constructor throws CountersUnavailable with the
// CUPTI call, the error name and what to do, in one line.
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "profiler/counter_metrics.hpp"
#include "profiler/profiler.hpp"
#include "vq/error.hpp"

namespace vqt::profiler {

class CountersUnavailable : public Error {
 public:
  explicit CountersUnavailable(const std::string& what) : Error(what) {}
};

struct CounterOptions {
  int device = 0;
  ReplayMode replay = ReplayMode::user;
  std::vector<CounterId> counters = all_counters();
  // More metrics by Nsight Compute name (parse_metric_list): read in the same passes, returned
  // in Counts::raw. A name the chip does not know throws InputError; one it knows but cannot
  // schedule with the rest is reported unavailable.
  std::vector<std::string> raw_metrics;
  bool clean_l2 = true;  // user replay: clean the L2 before every pass (see above)
  int max_passes = 64;   // user replay: give up after this many passes
  int max_kernels = 64;  // kernel replay: ranges (kernels) one LaunchFn may launch
};

class CounterProfiler {
 public:
  // Sets up CUPTI for the device and the counters; metrics the chip does not expose are
  // collected as unavailable. Throws CountersUnavailable (see above) or Error.
  explicit CounterProfiler(const CounterOptions& opt = {});
  ~CounterProfiler();
  CounterProfiler(const CounterProfiler&) = delete;
  CounterProfiler& operator=(const CounterProfiler&) = delete;

  const std::string& chip() const;
  // Passes the metric set needs (from the config image).
  int passes_needed() const;
  // Metric names of the requested counters this chip does not expose.
  const std::vector<std::string>& unavailable() const;

  // Counts one launch of `launch` (all the kernels it enqueues on `stream`). Throws CudaError when
  // the launch fails, Error when CUPTI fails or ranges are dropped.
  Counts count(const LaunchFn& launch, cudaStream_t stream = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vqt::profiler
