// The one "time one candidate" sequence of the measurers (GemvMeasurer, GemmMeasurer,
// AttentionMeasurer), given the op's pieces:
//
//   1. poison(i)            data set i's output (and any workspace) set to garbage (NaN for
//                           fp16), for every data set (profiler.hpp: copies of the problem's data)
//   2. launches[i](nullptr) the checked run on every data set, then cudaDeviceSynchronize(); an
//                           error is a result:
//                           resource_limit (cudaErrorLaunchOutOfResources, InvalidConfiguration)
//                           or launch_failed, detail = the error's name; a context the error left
//                           unusable throws Error ("CUDA context lost after candidate ...")
//   3. check(i)             each data set's output against the fp64 reference; the first failure
//                           is validation_failed with its detail (naming the set when several)
//   4. Profiler::measure    warm-up, L2 flush, one launch per data set per sample (the sample is
//                           their mean), repeat until converged under the CUPTI timer (cudaEvent
//                           fallback); median, min, max, rel stdev, count and the per-set medians
//                           stored; a CudaError while timing is launch_failed (its what()), with
//                           the same context check; a timer that saw no work (profiler::
//                           is_timed_sample: only positive samples are kept) or failed otherwise
//                           is timeout with its what(): the tune goes on
// A candidate refused before any launch (can_implement) is refused_trial(): resource_limit with
// the reason. CUDA builds only (target vqt_tuner_gpu).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "db/records.hpp"
#include "profiler/profiler.hpp"
#include "tuner/strategy.hpp"

namespace vqt::tuner {

struct OutputVerdict {
  bool ok = false;
  std::string detail;  // why not, when !ok
};

struct TrialSteps {
  std::vector<profiler::LaunchFn> launches;             // the candidate's launch on each data set
  std::function<void(std::size_t set)> poison;          // before the checked runs
  std::function<OutputVerdict(std::size_t set)> check;  // after them: against the reference
};

TrialResult time_trial(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                       const Candidate& c, const TrialSteps& steps);

// resource_limit with `why`, nothing launched.
TrialResult refused_trial(const Candidate& c, const std::string& why);

// The timer the profiler's samples come from, as stored with every measurement.
db::Timer timer_of(const profiler::Profiler& prof);

}  // namespace vqt::tuner
