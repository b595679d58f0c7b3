#include "tuner/time_trial.hpp"

#include <cuda_runtime_api.h>

#include "profiler/cuda_check.hpp"

namespace vqt::tuner {

namespace {

// After a failed launch or timing: the context must still work, else the tune cannot go on.
void require_context(const Candidate& c, const std::string& detail) {
  if (cudaDeviceSynchronize() != cudaSuccess)
    throw Error("CUDA context lost after candidate " + c.key() + ": " + detail);
}

}  // namespace

TrialResult time_trial(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                       const Candidate& c, const TrialSteps& steps) {
  TrialResult t;
  t.candidate = c;
  if (steps.launches.empty()) throw Error("time_trial: no launch for candidate " + c.key());
  const std::size_t n_sets = steps.launches.size();
  for (std::size_t i = 0; i < n_sets; ++i) steps.poison(i);
  cudaError_t err = cudaSuccess;
  for (std::size_t i = 0; i < n_sets && err == cudaSuccess; ++i) err = steps.launches[i](nullptr);
  if (err == cudaSuccess) err = cudaDeviceSynchronize();
  if (err != cudaSuccess) {
    cudaGetLastError();
    t.status = err == cudaErrorLaunchOutOfResources || err == cudaErrorInvalidConfiguration
                   ? db::Status::resource_limit
                   : db::Status::launch_failed;
    t.detail = cudaGetErrorName(err);
    require_context(c, t.detail);
    return t;
  }
  for (std::size_t i = 0; i < n_sets; ++i) {
    const OutputVerdict v = steps.check(i);
    if (!v.ok) {
      t.status = db::Status::validation_failed;
      t.detail = v.detail + (n_sets > 1 ? " (data set " + std::to_string(i) + ")" : "");
      return t;
    }
  }
  try {
    const profiler::Measurement m = prof.measure(steps.launches, rule);
    t.median_s = m.time.median;
    t.min_s = m.time.min;
    t.max_s = m.time.max;
    t.rel_stdev = m.time.rel_stdev;
    t.count = std::int64_t(m.time.count);
    t.set_median_s = m.set_median_s;
  } catch (const CudaError& e) {
    t.status = db::Status::launch_failed;
    t.detail = e.what();
    require_context(c, t.detail);
  } catch (const Error& e) {
    // The timer itself failed (CUPTI delivered no records, dropped some, ...): this candidate has
    // no time, the tune goes on.
    t.status = db::Status::timeout;
    t.detail = e.what();
    require_context(c, t.detail);
  }
  return t;
}

TrialResult refused_trial(const Candidate& c, const std::string& why) {
  TrialResult t;
  t.candidate = c;
  t.status = db::Status::resource_limit;
  t.detail = why;
  return t;
}

db::Timer timer_of(const profiler::Profiler& prof) {
  return prof.timer_kind() == profiler::TimerKind::cupti ? db::Timer::cupti : db::Timer::cuda_event;
}

}  // namespace vqt::tuner
