// The one "time one candidate" sequence of the measurers (GemvMeasurer, GemmMeasurer,
// AttentionMeasurer), given the op's pieces:
//
//   1. poison()             the output (and any workspace) set to garbage (NaN for fp16)
//   2. launch(nullptr)      the checked run, then cudaDeviceSynchronize(); an error is a result:
//                           resource_limit (cudaErrorLaunchOutOfResources, InvalidConfiguration)
//                           or launch_failed, detail = the error's name; a context the error left
//                           unusable throws Error ("CUDA context lost after candidate ...")
//   3. check()              the output against the fp64 reference; a failure is
//                           validation_failed with its detail
//   4. Profiler::measure    warm-up, L2 flush / rotation, repeat until converged under the CUPTI
//                           timer (cudaEvent fallback); median, min, max, rel stdev and count
//                           stored; a CudaError while timing is launch_failed (its what()), with
//                           the same context check; a timer that saw no work (profiler::
//                           is_timed_sample: only positive samples are kept) or failed otherwise
//                           is timeout with its what(): the tune goes on
// A candidate refused before any launch (can_implement) is refused_trial(): resource_limit with
// the reason. CUDA builds only (target vqt_tuner_gpu).
#pragma once

#include <functional>
#include <string>

#include "db/records.hpp"
#include "profiler/profiler.hpp"
#include "tuner/strategy.hpp"

namespace vqt::tuner {

struct OutputVerdict {
  bool ok = false;
  std::string detail;  // why not, when !ok
};

struct TrialSteps {
  profiler::LaunchFn launch;             // the candidate's launch, as timed
  std::function<void()> poison;          // before the checked run
  std::function<OutputVerdict()> check;  // after it: the output against the reference
};

TrialResult time_trial(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                       const Candidate& c, const TrialSteps& steps);

// resource_limit with `why`, nothing launched.
TrialResult refused_trial(const Candidate& c, const std::string& why);

// The timer the profiler's samples come from, as stored with every measurement.
db::Timer timer_of(const profiler::Profiler& prof);

}  // namespace vqt::tuner
