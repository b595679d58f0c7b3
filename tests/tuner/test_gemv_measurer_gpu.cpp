// gpu tier: the GEMV measurer validates and times real candidates; the tune loop on a GPU with
// model-top-k, and resume from the database.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/gpu_spec.hpp"
#include "tuner/gemv_measurer.hpp"
#include "tuner/winner.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {
bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}
Problem problem(const char* vq, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Problem p = Problem::matmul(Op::gemv, parse_vq(vq), m, n, k);
  p.validate();
  return p;
}
}  // namespace

TEST(GemvMeasurer, TopCandidatesValidateAndTime) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::Profiler prof;
  profiler::ConvergenceRule rule;
  rule.max_time_s = 0.5;
  GemvMeasurer m(prof, rule, 7);
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  for (const char* vq : {"aqlm-3", "quip#-4", "gptvq-2"}) {
    const auto out = tune_problem(problem(vq, 4, 4096, 4096), m, s);
    ASSERT_EQ(out.trials.size(), 10u) << vq;
    int ok = 0;
    for (const auto& t : out.trials) {
      EXPECT_NE(t.status, db::Status::validation_failed)
          << vq << " " << t.candidate.key() << ": " << t.detail;
      if (t.status == db::Status::ok) {
        ++ok;
        EXPECT_GT(t.median_s, 1e-6);
        EXPECT_LT(t.median_s, 5e-3);
        EXPECT_GE(t.count, 10);
      }
    }
    EXPECT_GE(ok, 5) << vq;
    EXPECT_TRUE(out.winner.has_value()) << vq;
  }
}

TEST(GemvMeasurer, EveryDataSetIsCheckedAndTheTimeIsTheirMean) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::ProfilerOptions opt;
  opt.data_sets = 3;
  profiler::Profiler prof(opt);
  profiler::ConvergenceRule rule;
  rule.max_time_s = 0.5;
  GemvMeasurer m(prof, rule, 7);
  TuneSettings s;
  s.spec = find_gpu("h100-sxm");
  const auto out = tune_problem(problem("aqlm-3", 16, 4096, 4096), m, s);
  ASSERT_TRUE(out.winner.has_value());
  int ok = 0;
  for (const auto& t : out.trials) {
    EXPECT_NE(t.status, db::Status::validation_failed) << t.candidate.key() << ": " << t.detail;
    if (t.status != db::Status::ok) continue;
    ++ok;
    ASSERT_EQ(t.set_median_s.size(), 3u) << t.candidate.key();
    double mean = 0;
    for (double v : t.set_median_s) {
      EXPECT_GT(v, 0.5 * t.median_s) << t.candidate.key();
      EXPECT_LT(v, 2.0 * t.median_s) << t.candidate.key();
      mean += v / 3;
    }
    // The median of per-sample means against the mean of per-set medians: the same centre.
    EXPECT_NEAR(mean / t.median_s, 1.0, 0.03) << t.candidate.key();
  }
  EXPECT_GE(ok, 5);
}

TEST(GemvMeasurer, RefusedCandidateIsAResourceLimitNotACrash) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  profiler::Profiler prof;
  GemvMeasurer m(prof, profiler::ConvergenceRule{}, 7);
  std::string src;
  m.prepare(problem("aqlm-3", 1, 4096, 4096), &src);
  Candidate c;
  c.n_reg = 0;
  c.n_smem = 4096;
  c.smem_copies = 32;  // 4096 entries x 8 x 2 B x 2 levels x 32 copies: far over shared memory
  c.threads = 128;
  const TrialResult t = m.measure(c);
  EXPECT_EQ(t.status, db::Status::resource_limit) << t.detail;
  EXPECT_FALSE(t.detail.empty());
}
