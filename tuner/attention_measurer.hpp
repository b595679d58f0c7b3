// AttentionMeasurer: times candidates of an attention_decode Problem over a CQ-compressed KV cache
// (cq-4 = VQ<2,8,1>, cq-2 = VQ<4,8,1> per head x channel group) with the decode-attention kernels
// (kernels/attention_decode.hpp) under the profiler, after checking each one's output against an
// fp64 reference (tuner::reference_cq_attention, itself checked against vq/reference's
// reference_attention_decode in the cpu tier). CUDA builds only (target vqt_tuner_gpu).
//
// Search space: the kernels' own distinct configurations (kernels/attention_space.hpp). Data per
// problem (deterministic for the seed): K and V codes from a Zipf(`zipf_exponent`) law over the
// 256 entries, random fp16 codebooks and queries; the model ranks with the CDF of these codes.
// prepare() only computes the CDF; the cache, the reference and the device buffers are built on
// the first measure() of a problem and stay cached.
//
// Statuses (the sequence of tuner/time_trial.hpp): resource_limit (can_implement_attention
// refuses, or out of resources), launch_failed, validation_failed (relative L2 error above
// kMaxRelError or a non-finite output; the output is poisoned with NaN before the checked run), ok.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "profiler/profiler.hpp"
#include "tuner/tune_loop.hpp"

namespace vqt::tuner {

class AttentionMeasurer : public Measurer {
 public:
  AttentionMeasurer(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                    std::uint64_t seed = 1, double zipf_exponent = 1.0);
  ~AttentionMeasurer() override;
  db::Timer timer() const override;
  std::vector<double> prepare(const Problem& p, std::string* histogram_source) override;
  bool implementable(const Candidate& c) const override;
  std::vector<Candidate> search_space(const Problem& p) const override;
  TrialResult measure(const Candidate& c) override;

  // One launch of candidate `c` on the prepared problem's data (built on first use, as measure()
  // does), without validation: what measure() times (the split kernel and, with several splits,
  // the combine kernel), for callers that count hardware counters of the same launch (`vqtune
  // profile`). Throws InputError when `c` cannot be implemented.
  profiler::LaunchFn launch_fn(const Candidate& c);

  // For tests: multiplies the prepared problem's reference by `factor` (building it first).
  void perturb_reference(double factor);

  // Wall seconds spent building data, references and device buffers (first measure() of each
  // problem) so far: what a fresh tune pays besides timing.
  double setup_s() const { return setup_s_; }

  static constexpr double kMaxRelError = 1e-2;

 private:
  struct Data;
  profiler::Profiler& prof_;
  profiler::ConvergenceRule rule_;
  std::uint64_t seed_;
  double zipf_;
  std::map<std::string, std::unique_ptr<Data>> cache_;  // by problem key
  Data* d_ = nullptr;
  double setup_s_ = 0;
  void materialize(Data& d);
  // On data set `set`; grows that set's workspace when `c` needs more.
  profiler::LaunchFn launch_of(const Candidate& c, std::size_t set);
};

}  // namespace vqt::tuner
