// GemmMeasurer: times candidates of a gemm Problem (prefill, m tokens) with the VQ GEMM
// (kernels/gemm_vq.hpp: fused_regs and unfused = dequantize + cuBLAS) under the profiler, after
// checking each one's output against the fp64 CPU reference (vq/reference reference_gemm).
// CUDA builds only (target vqt_tuner_gpu).
//
// Search space: the kernel's own distinct configurations (kernels/gemm_space.hpp), ranked by the
// model in the tune loop. Data per problem (deterministic for the seed, tuner/validate.hpp): codes
// from a Zipf(`zipf_exponent`) law over the stored entries, random fp16 codebooks and x. The model
// ranks with the CDF of exactly these codes. prepare() only computes the CDF; the weights, x, the
// reference and the device buffers are built on the first measure() of a shape (vq, m, n, k) and
// stay cached, so a resumed tune that times nothing builds nothing.
//
// The reference covers 16 sampled tokens (every m/16-token run has one, the last token too:
// tuner::sampled_tokens) for all n outputs: the fp64 GEMM of all m tokens would cost minutes per
// llama shape on the CPU, and a wrong tile, split or token tail shows in the sampled rows.
//
// Statuses (the sequence of tuner/time_trial.hpp): resource_limit (can_implement_gemm refuses on
// this device, or the launch is out of resources), launch_failed (any other launch error),
// validation_failed (relative L2 error above kMaxRelError or a non-finite output; the output is
// poisoned with NaN and split-k partials with garbage before the checked run), ok.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "profiler/profiler.hpp"
#include "tuner/tune_loop.hpp"

namespace vqt::tuner {

class GemmMeasurer : public Measurer {
 public:
  GemmMeasurer(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
               std::uint64_t seed = 1, double zipf_exponent = 1.0);
  ~GemmMeasurer() override;
  db::Timer timer() const override;
  std::vector<double> prepare(const Problem& p, std::string* histogram_source) override;
  bool implementable(const Candidate& c) const override;
  std::vector<Candidate> search_space(const Problem& p) const override;
  TrialResult measure(const Candidate& c) override;

  // One launch of candidate `c` on the prepared problem's data (built on first use, as measure()
  // does; split-k arrival counters zeroed), without validation: what measure() times, for callers
  // that count hardware counters of the same launch (`vqtune profile`). An unfused candidate's
  // launch is both kernels (dequantize, then cuBLAS on the same stream). Throws InputError when
  // `c` cannot be implemented on this device.
  profiler::LaunchFn launch_fn(const Candidate& c);

  // The dequantize-then-cuBLAS baseline's canonical candidate for `gemm`: `vqtune tune` times it
  // for every gemm problem whatever the strategy picked (DESIGN.md: speed is reported against
  // this baseline measured in the same run; the uncalibrated model ranked it outside its top 8 on
  // 5 of the 20 llama-7b problems, where it beat the fused winner by 2.1-2.5x).
  static Candidate baseline(const Problem& gemm);

  // For tests: multiplies the prepared problem's reference by `factor` (building it first), so
  // that every candidate must fail validation.
  void perturb_reference(double factor);

  // Wall seconds spent building data, references and device buffers (first measure() of each
  // problem) so far: what a fresh tune pays besides timing.
  double setup_s() const { return setup_s_; }

  static constexpr double kMaxRelError = 1e-2;
  static constexpr std::int64_t kCheckedTokens = 16;

 private:
  struct Data;
  profiler::Profiler& prof_;
  profiler::ConvergenceRule rule_;
  std::uint64_t seed_;
  double zipf_;
  void* cublas_ = nullptr;  // cublasHandle_t, created on the first measure()
  std::map<std::string, std::unique_ptr<Data>> cache_;  // by problem key
  Data* d_ = nullptr;
  double setup_s_ = 0;
  void materialize(Data& d);
  void ensure_built();  // data, reference, device buffers and the cuBLAS handle
  profiler::LaunchFn launch_of(const Candidate& c, std::size_t set) const;  // on data set `set`
  // Split-k partials poisoned (when asked) and arrival counters zeroed, for `c`'s workspace in
  // data set `set`.
  void reset_workspace(const Candidate& c, bool poison_partials, std::size_t set);
};

}  // namespace vqt::tuner
