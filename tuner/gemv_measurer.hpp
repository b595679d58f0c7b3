// GemvMeasurer: times candidates of a gemv Problem with the fused VQ GEMV (kernels/vq_gemv.hpp)
// under the profiler, after checking each one's output against the CPU reference (vq/reference).
// CUDA builds only (target vqt_tuner_gpu).
//
// Data per problem (deterministic for the seed): codes drawn from a Zipf(`zipf_exponent`) law over
// the stored entries, hottest = index 0 (lattice configs: the 8 row bits from the law, the 8 sign
// bits uniform), codebooks and activations uniform in [-1, 1) rounded to fp16. The model ranks
// with the CDF of exactly these codes. The fp64 reference is computed once for batch 16 per
// (vq, n, k) and reused for smaller batches (their activations are its first rows); the device
// data of every shape prepared stays cached (a suite visits each shape once per batch). prepare()
// only computes the CDF; the data and the reference are built on the first measure() of a shape,
// so a resumed tune that times nothing costs no reference computations. The device data is held
// in the profiler's `data_sets` copies (separate allocations, the same contents): every copy's
// output is checked, and a candidate's time is the mean over the copies (profiler.hpp).
//
// Statuses (the sequence of tuner/time_trial.hpp): resource_limit (can_implement refuses, or the
// launch is out of resources), launch_failed (any other launch error), validation_failed
// (relative L2 error above 1e-2 or a non-finite output; outputs are poisoned with NaN before the
// checked run), ok.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "profiler/profiler.hpp"
#include "tuner/tune_loop.hpp"

namespace vqt::tuner {

class GemvMeasurer : public Measurer {
 public:
  GemvMeasurer(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
               std::uint64_t seed = 1, double zipf_exponent = 1.0);
  ~GemvMeasurer() override;
  db::Timer timer() const override;
  std::vector<double> prepare(const Problem& p, std::string* histogram_source) override;
  bool implementable(const Candidate& c) const override;
  TrialResult measure(const Candidate& c) override;

  // One launch of candidate `c` on the prepared problem's data (built on first use, as measure()
  // does), without validation: what measure() times, for callers that count hardware counters
  // of the same launch (`vqtune profile`). Throws when `c` cannot be implemented.
  profiler::LaunchFn launch_fn(const Candidate& c);

  static constexpr double kMaxRelError = 1e-2;

 private:
  struct Data;
  profiler::Profiler& prof_;
  profiler::ConvergenceRule rule_;
  std::uint64_t seed_;
  double zipf_;
  std::map<std::string, std::unique_ptr<Data>> cache_;  // by (vq, n, k): data + reference
  Data* d_ = nullptr;
  void materialize(Data& d);  // codes, reference and device buffers, on the first measure()
  // Data built, `c` implementable; on data set `set` (0 .. data_sets - 1).
  profiler::LaunchFn launch_of(const Candidate& c, std::size_t set) const;
};

}  // namespace vqt::tuner
