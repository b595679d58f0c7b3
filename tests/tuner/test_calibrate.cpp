// cpu tier: calibration recovers coefficients the data was generated with (by the model itself),
// and the held-out split is deterministic.
#include <gtest/gtest.h>

#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "tuner/calibrate.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {
Problem gemv(const char* vq, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Problem p = Problem::matmul(Op::gemv, parse_vq(vq), m, n, k);
  p.validate();
  return p;
}
}  // namespace

TEST(Calibrate, FitsSyntheticMeasurementsFromPerturbedCoefficients) {
  const GpuSpec spec = find_gpu("h100-sxm");
  ModelCoefficients truth;
  truth.hbm_efficiency = 0.55;
  truth.l2_efficiency = 0.5;
  truth.smem_efficiency = 0.6;
  truth.fp32_efficiency = 0.45;
  std::vector<MeasuredProblem> data;
  for (const Problem& p : {gemv("aqlm-3", 1, 4096, 4096), gemv("gptvq-2", 16, 11008, 4096),
                           gemv("aqlm-2x8", 4, 4096, 11008)}) {
    const PreparedProblem prep =
        prepare(p, spec, truth, zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf");
    const auto ranked = rank_candidates(prep);
    MeasuredProblem mp{p, {}};
    for (std::size_t i = 0; i < ranked.size() && mp.measured_s.size() < 12;
         i += ranked.size() / 12 + 1)
      mp.measured_s.emplace_back(ranked[i].candidate, ranked[i].prediction.time_s);
    data.push_back(mp);
  }
  const CalibrationResult r = calibrate(data, spec, ModelCoefficients{}, 1.0, 15);
  EXPECT_GT(r.points, 20u);
  EXPECT_GT(r.rms_log_error_before, 0.05);
  EXPECT_LT(r.rms_log_error_after, 0.25 * r.rms_log_error_before)
      << r.rms_log_error_before << " -> " << r.rms_log_error_after;
  EXPECT_NO_THROW(r.coef.validate());
}

TEST(Calibrate, HeldOutSplitIsDeterministic) {
  int out = 0;
  for (int n = 1024; n < 1024 + 64 * 16; n += 16) {
    const Problem p = gemv("aqlm-3", 1, n, 4096);
    EXPECT_EQ(held_out(p, 4), held_out(p, 4));
    out += held_out(p, 4);
    EXPECT_FALSE(held_out(p, 1));
    // A shape is held out with every VQ config and batch, or not at all.
    EXPECT_EQ(held_out(p, 4), held_out(gemv("aqlm-2x8", 16, n, 4096), 4));
  }
  EXPECT_GT(out, 4);  // about 16 of 64
  EXPECT_LT(out, 32);
}
