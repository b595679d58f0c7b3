// cpu tier: accuracy metrics on hand-made data.
#include <gtest/gtest.h>

#include <cmath>

#include "model/candidate.hpp"
#include "tuner/accuracy.hpp"
#include "vq/error.hpp"

using namespace vqt::tuner;

TEST(Accuracy, Spearman) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 100, 1000, 10000}), 1.0);  // ranks only
  // Ties get average ranks: a = ranks 1,2.5,2.5,4; b = 1,2,3,4 -> rho = 4.5/sqrt(4.5*5).
  EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 2, 3, 4}), 4.5 / std::sqrt(4.5 * 5.0), 1e-12);
  EXPECT_DOUBLE_EQ(spearman({1, 1, 1}, {1, 2, 3}), 0.0);
  EXPECT_THROW(spearman({1, 2}, {1}), vqt::Error);
}

TEST(Accuracy, MapeP90RegretAndTop1) {
  // Problem A: predictions 10 % high everywhere, same order: regret 0, rho 1.
  // Problem B: the model's favourite (pred 1) measures 12, the best measures 10: regret 20 %.
  std::vector<std::pair<std::string, std::vector<AccuracyPoint>>> d = {
      {"A", {{11, 10, ""}, {22, 20, ""}, {33, 30, ""}}},
      {"B", {{1, 12, ""}, {2, 10, ""}, {3, 15, ""}}},
      {"C", {{5, 5, ""}}},  // one point: left out
  };
  const AccuracyReport r = accuracy(d);
  ASSERT_EQ(r.problems, 2u);
  EXPECT_EQ(r.points, 6u);
  EXPECT_NEAR(r.per_problem[0].mape, 0.1, 1e-12);
  EXPECT_NEAR(r.per_problem[0].spearman, 1.0, 1e-12);
  EXPECT_NEAR(r.per_problem[0].regret, 0.0, 1e-12);
  EXPECT_NEAR(r.per_problem[1].regret, 0.2, 1e-12);
  const double b_err = (11.0 / 12 + 8.0 / 10 + 12.0 / 15) / 3;
  EXPECT_NEAR(r.mape, (0.3 + 3 * b_err) / 6, 1e-12);
  EXPECT_NEAR(r.p90_abs_err, 11.0 / 12, 1e-12);  // ceil(0.9 * 6) = 6th smallest = the largest
  EXPECT_DOUBLE_EQ(r.top1_within_5pct, 0.5);
  EXPECT_NEAR(r.max_regret, 0.2, 1e-12);
  // Without candidate keys there is no model-top-k replay.
  EXPECT_EQ(r.per_problem[0].topk_regret, -1.0);
  EXPECT_EQ(r.topk_within_2pct, 0.0);
}

TEST(Accuracy, ModelTopKReplayTimesTenOfTwelveAndFindsTheBestRankedThird) {
  std::vector<AccuracyPoint> pts;
  for (int i = 0; i < 12; ++i) {
    vqt::Candidate c;
    c.threads = 32 * (i + 1);
    // Predicted order = i; the best measured (5) is the model's third.
    pts.push_back({double(i + 1), i == 2 ? 5.0 : 10.0 + i, c.key()});
  }
  const AccuracyReport r = accuracy({{"P", pts}});
  ASSERT_EQ(r.problems, 1u);
  EXPECT_EQ(r.per_problem[0].topk_timed, 10u);
  EXPECT_NEAR(r.per_problem[0].topk_regret, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.topk_within_2pct, 1.0);
  EXPECT_NEAR(r.topk_timed_fraction, 10.0 / 12.0, 1e-12);
  // The model's favourite measures 10 against the best 5: top-1 regret 100 %.
  EXPECT_NEAR(r.per_problem[0].regret, 1.0, 1e-12);
}
