// RegionTimer: GPU time of everything launched between begin() and end().
//
// CuptiTimer (built with VQT_ENABLE_CUPTI) reads CUPTI activity records (concurrent kernels,
// memcpys, memsets): GPU start/end of every activity in the region, summed, plus the idle gaps
// between them. EventTimer is the fallback: one cudaEvent pair around the region on `stream`, so
// its time includes launch gaps and it cannot count kernels. Every result names its timer.
//
// Assumes one timed region at a time per process (CUPTI's activity buffers are process-wide) and
// that nothing else runs on the device during a region.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

#include "profiler/stats.hpp"

namespace vqt::profiler {

enum class TimerKind { cupti, cuda_event };
const char* to_string(TimerKind k);

struct RegionTiming {
  double busy_s = 0;   // sum of GPU activity durations (event timer: the whole region)
  double span_s = 0;   // first start to last end
  double gap_s = 0;    // span - busy: idle time between activities (event timer: 0, unknown)
  int activities = 0;  // kernels + copies + memsets seen (event timer: -1, unknown)
};

class RegionTimer {
 public:
  virtual ~RegionTimer() = default;
  virtual TimerKind kind() const = 0;
  // Synchronises the device, then opens the region.
  virtual void begin(cudaStream_t stream) = 0;
  // Synchronises the device, closes the region and returns its timing; throws vqt::Error.
  virtual RegionTiming end(cudaStream_t stream) = 0;
  // The activities of the last closed region, sorted by start (CUPTI only; empty otherwise).
  virtual const std::vector<Interval>& last_intervals() const {
    static const std::vector<Interval> none;
    return none;
  }
};

// The CUPTI timer when built with it and CUPTI starts (and sees a probe kernel); else the event
// timer. `why_not_cupti` (may be null) receives the reason when the fallback is taken.
std::unique_ptr<RegionTimer> make_region_timer(bool prefer_cupti = true,
                                               std::string* why_not_cupti = nullptr);

std::unique_ptr<RegionTimer> make_event_timer();
#ifdef VQT_HAVE_CUPTI
// Throws vqt::Error when CUPTI cannot collect activity records.
std::unique_ptr<RegionTimer> make_cupti_timer();
#endif

}  // namespace vqt::profiler
