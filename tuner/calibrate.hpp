// Calibration: the cost model's coefficients (model/coefficients.hpp) fitted per GPU to measured
// times by nonlinear least squares (Levenberg-Marquardt with Eigen, numeric Jacobian), minimising
// the squared log error log(predicted / measured) over the training problems. Coefficients stay
// inside their documented ranges (log parameters for positive ranges, clamped linear otherwise).
// Problems are split into training and held-out sets by a hash of their shape (gemv/gemm: N x K,
// attention: heads, head size and context; every VQ config and batch of a shape goes the same
// way), so accuracy is reported on shapes the fit never saw. Plain C++, no GPU.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "db/repository.hpp"
#include "model/candidate.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"
#include "model/problem.hpp"

namespace vqt::tuner {

struct MeasuredProblem {
  Problem problem;
  std::vector<std::pair<Candidate, double>> measured_s;  // ok measurements, latest per candidate
};

// The ok measurements of a GPU class, by problem (sorted by problem key).
std::vector<MeasuredProblem> load_measured(db::Repository& repo, const std::string& gpu_key);

// "gemv:4096x11008", "attention_decode:32/8x128:ctx4096": what held_out() hashes.
std::string shape_key(const Problem& p);

// True when the problem is held out of the fit (1 in `every` shapes by hash; every <= 1:
// nothing is held out).
bool held_out(const Problem& p, int every);

struct CalibrationResult {
  ModelCoefficients coef;
  std::size_t points = 0;
  double rms_log_error_before = 0, rms_log_error_after = 0;
  int iterations = 0;
};

// Fits `start` to the problems (zipf_exponent: the measured data's index histogram). Coefficients
// named in `held` keep their value from `start` (e.g. one counted with the hardware counters);
// an unknown name is an InputError listing the known ones.
CalibrationResult calibrate(const std::vector<MeasuredProblem>& train, const GpuSpec& spec,
                            const ModelCoefficients& start, double zipf_exponent = 1.0,
                            int max_iterations = 30, const std::vector<std::string>& held = {});

}  // namespace vqt::tuner
