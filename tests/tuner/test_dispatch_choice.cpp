// cpu tier: the runtime's choice: exact bucket, nearest bucket, model fallback, and a stored
// candidate the kernels cannot run falling through to the model.
#include <gtest/gtest.h>

#include "db/bucket.hpp"
#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "tuner/dispatch_choice.hpp"
#include "vq/error.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {
Problem gemv(const char* vq, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Problem p = Problem::matmul(Op::gemv, parse_vq(vq), m, n, k);
  p.validate();
  return p;
}
db::HeuristicRow row_for(const Problem& p, const Candidate& c) {
  db::HeuristicRow r;
  r.gpu_key = "h100-sxm";
  r.op = to_string(p.op);
  r.vq_key = p.vq.key();
  const db::ShapeBucket b = db::bucket_of(p);
  for (int i = 0; i < db::kBucketDims; ++i) r.dims[i] = b.dims[i];
  r.bucket = db::bucket_key(p.op, b);
  r.candidate = c;
  r.candidate_key = c.key();
  r.problem = p;
  r.problem_key = p.key();
  r.measured_s = 10e-6;
  return r;
}
}  // namespace

TEST(DispatchChoice, ExactNearestModelAndUnimplementable) {
  const GpuSpec spec = find_gpu("h100-sxm");
  const Problem p = gemv("aqlm-3", 1, 4096, 4096);
  const PreparedProblem prep =
      prepare(p, spec, ModelCoefficients{}, zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf");
  const auto ranked = rank_candidates(prep);
  ASSERT_GE(ranked.size(), 10u);
  const Candidate stored = ranked[7].candidate;  // not the model's first
  const auto heur = db::Heuristics::from_rows({row_for(p, stored)});
  auto all = [](const Candidate&) { return true; };

  const DispatchChoice exact = choose_candidate(heur, p, spec, ModelCoefficients{}, all);
  EXPECT_EQ(exact.source, ChoiceSource::exact);
  EXPECT_EQ(exact.candidate, stored);

  const DispatchChoice near =
      choose_candidate(heur, gemv("aqlm-3", 1, 11008, 4096), spec, ModelCoefficients{}, all);
  EXPECT_EQ(near.source, ChoiceSource::nearest);
  EXPECT_EQ(near.candidate, stored);

  const Problem other = gemv("gptvq-2", 1, 4096, 4096);
  const DispatchChoice model = choose_candidate(heur, other, spec, ModelCoefficients{}, all);
  EXPECT_EQ(model.source, ChoiceSource::model);

  // The stored candidate cannot run here: the model's first implementable one instead.
  auto not_stored = [&](const Candidate& c) {
    return !(c == stored) && !(c == ranked[0].candidate);
  };
  const DispatchChoice fallback = choose_candidate(heur, p, spec, ModelCoefficients{}, not_stored);
  EXPECT_EQ(fallback.source, ChoiceSource::model);
  EXPECT_EQ(fallback.candidate, ranked[1].candidate);

  auto none = [](const Candidate&) { return false; };
  EXPECT_THROW(choose_candidate(heur, p, spec, ModelCoefficients{}, none), vqt::Error);
}
