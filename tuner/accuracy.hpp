// Model accuracy against measurements (`vqtune accuracy`), plain C++.
//
// Per problem, the measured (ok) candidates are predicted again by the cost model and compared:
// absolute percentage error of each prediction, Spearman rank correlation of predicted vs measured
// times (average ranks for ties), and the regret of the model's top-1: the measured time of the
// candidate the model ranks first among the measured ones over the best measured time, minus 1.
// Across problems: MAPE and p90 of the absolute percentage error over all points, median and mean
// Spearman, the share of problems whose top-1 is within 5 % of the best measured. With an
// exhaustive search the best measured is the exhaustive best; with model-top-k it is the best of
// the candidates timed. Problems with fewer than 2 ok points are left out.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "db/repository.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"

namespace vqt::tuner {

struct AccuracyPoint {
  double predicted_s = 0;
  double measured_s = 0;
  std::string candidate_key;  // for the model-top-k replay (empty: no replay for the problem)
};

struct ProblemAccuracy {
  std::string problem_key;
  std::size_t points = 0;
  double mape = 0;      // fraction (0.1 = 10 %)
  double spearman = 0;  // -1..1
  double regret = 0;    // fraction
  // model-top-k replayed on these measurements (make_strategy with the default options, the
  // ranking by predicted time): the best it would have timed against the best measured, and how
  // many it would have timed. -1 / 0 without candidate keys.
  double topk_regret = -1;
  std::size_t topk_timed = 0;
};

struct AccuracyReport {
  std::size_t problems = 0, points = 0;
  double mape = 0, p90_abs_err = 0;
  double median_spearman = 0, mean_spearman = 0;
  double top1_within_5pct = 0;  // share of problems
  double median_regret = 0, max_regret = 0;
  // model-top-k replay: share of problems within 2 % of the best measured, and the mean share
  // of a problem's measured candidates it times (0 when no problem has candidate keys).
  double topk_within_2pct = 0, topk_timed_fraction = 0, topk_max_regret = 0;
  std::vector<ProblemAccuracy> per_problem;
};

// Spearman rank correlation; 0 when either side is constant. Throws vqt::Error on a size mismatch.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

AccuracyReport accuracy(
    const std::vector<std::pair<std::string, std::vector<AccuracyPoint>>>& data);

struct MeasuredProblem;  // tuner/calibrate.hpp

// Measured problems re-predicted with `spec` and `coef`, grouped by problem. The index histogram
// is the one GemvMeasurer generates (Zipf with `zipf_exponent`).
std::vector<std::pair<std::string, std::vector<AccuracyPoint>>> measured_vs_predicted(
    const std::vector<MeasuredProblem>& data, const GpuSpec& spec, const ModelCoefficients& coef,
    double zipf_exponent = 1.0);

}  // namespace vqt::tuner
