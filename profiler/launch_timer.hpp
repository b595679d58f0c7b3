// LaunchTimes: per-launch GPU times from CUPTI activity records, with the same name() and
// time_each() as bench/kernels/harness.hpp's LaunchTimer, so the harness can time with CUPTI
// through a three-line adapter (see docs/profiler.md) and benchmarks and tuner agree on what a
// microsecond is.
//
// time_each() enqueues `reps` launches back to back in one CUPTI region and splits the region's
// activities evenly: each launch must enqueue the same number of kernels/copies (checked), and a
// launch's time is the sum of its activities' durations (gaps between launches are not counted).
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <vector>

#include "profiler/timer.hpp"

namespace vqt::profiler {

class LaunchTimes {
 public:
  using LaunchFn = std::function<void(int set, cudaStream_t stream)>;
  // Throws vqt::Error when CUPTI is not built or cannot record activities.
  LaunchTimes();
  const char* name() const { return "cupti"; }
  std::vector<double> time_each(const LaunchFn& launch, int first_set, int n_sets, int reps,
                                cudaStream_t stream);
  // Activities per launch seen in the last time_each().
  int activities_per_launch() const { return per_launch_; }

 private:
  std::unique_ptr<RegionTimer> timer_;
  int per_launch_ = 0;
};

}  // namespace vqt::profiler
