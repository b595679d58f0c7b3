// cpu tier: strategies, tie-breaking, sharding and suites of the tuner.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "model/model_shapes.hpp"
#include "tuner/shard.hpp"
#include "tuner/strategy.hpp"
#include "tuner/winner.hpp"
#include "vq/error.hpp"

using namespace vqt;
using namespace vqt::tuner;

namespace {

std::vector<Candidate> fake_ranked(int n) {
  std::vector<Candidate> v;
  for (int i = 0; i < n; ++i) {
    Candidate c;
    c.n_smem = i;  // distinct keys
    v.push_back(c);
  }
  return v;
}

std::vector<Candidate> drain(SearchStrategy& s) {
  std::vector<Candidate> out;
  TrialResult prev;
  const TrialResult* p = nullptr;
  while (auto c = s.next_candidate(p)) {
    out.push_back(*c);
    prev.candidate = *c;
    p = &prev;
  }
  return out;
}

}  // namespace

TEST(Strategy, ExhaustiveIsTheModelOrder) {
  const auto ranked = fake_ranked(30);
  auto s = make_strategy("exhaustive", ranked, {}, "p");
  EXPECT_EQ(drain(*s), ranked);
}

TEST(Strategy, ModelTopKIsTopEightPlusTwoDistinctOthersDeterministically) {
  const auto ranked = fake_ranked(100);
  auto a = drain(*make_strategy("model-top-k", ranked, {}, "gemv:m1:n4096:k4096"));
  auto b = drain(*make_strategy("model-top-k", ranked, {}, "gemv:m1:n4096:k4096"));
  ASSERT_EQ(a.size(), 10u);
  EXPECT_EQ(a, b);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(a[std::size_t(i)], ranked[std::size_t(i)]);
  std::set<int> extra = {a[8].n_smem, a[9].n_smem};
  EXPECT_EQ(extra.size(), 2u);
  for (int e : extra) EXPECT_GE(e, 8);
  // Another problem key (or seed) draws other extras at least sometimes.
  bool differs = false;
  for (int i = 0; i < 10 && !differs; ++i) {
    auto c = drain(*make_strategy("model-top-k", ranked, {}, "other" + std::to_string(i)));
    differs = !(c[8] == a[8]) || !(c[9] == a[9]);
  }
  EXPECT_TRUE(differs);
  // Fewer candidates than k + extra: all of them, once.
  auto small = drain(*make_strategy("model-top-k", fake_ranked(5), {}, "p"));
  EXPECT_EQ(small.size(), 5u);
}

TEST(Strategy, RandomAndErrors) {
  const auto ranked = fake_ranked(50);
  StrategyOptions o;
  o.random_count = 7;
  auto r = drain(*make_strategy("random", ranked, o, "p"));
  ASSERT_EQ(r.size(), 7u);
  std::set<int> seen;
  for (const auto& c : r) seen.insert(c.n_smem);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_THROW(make_strategy("annealing", ranked, o, "p"), InputError);
}

TEST(Strategy, SampleIndicesAreDistinctAndInRange) {
  for (std::uint64_t seed : {1ull, 2ull, 99ull}) {
    auto idx = sample_indices(20, 20, seed);
    std::sort(idx.begin(), idx.end());
    for (std::size_t i = 0; i < 20; ++i) EXPECT_EQ(idx[i], i);
    EXPECT_EQ(sample_indices(5, 9, seed).size(), 5u);
    EXPECT_TRUE(sample_indices(0, 3, seed).empty());
  }
  EXPECT_EQ(stable_hash("abc"), stable_hash("abc"));
  EXPECT_NE(stable_hash("abc"), stable_hash("abd"));
}

TEST(Winner, TiesGoToTheSmallestKeyFailuresNeverWin) {
  auto ranked = fake_ranked(4);
  std::vector<TrialResult> t(4);
  for (std::size_t i = 0; i < 4; ++i) t[i].candidate = ranked[i];
  t[0].median_s = 10.03e-6;  // ties with the fastest (0.3 % apart, 0.5 % floor)
  t[1].median_s = 10.00e-6;
  t[2].median_s = 9.0e-6;
  t[2].status = db::Status::validation_failed;  // fastest, but wrong
  t[3].median_s = 10.5e-6;                      // 5 % slower: no tie
  for (auto& x : t) x.rel_stdev = 0.001;
  // Keys: "reg=0,smem=0,..." < "reg=0,smem=1,...": index 0 wins the tie.
  ASSERT_LT(ranked[0].key(), ranked[1].key());
  EXPECT_EQ(pick_winner(t), std::optional<std::size_t>(0));
  // Any order of the trials picks the same candidate.
  std::vector<TrialResult> rev(t.rbegin(), t.rend());
  EXPECT_EQ(rev[*pick_winner(rev)].candidate, ranked[0]);
  // Outside the noise the faster wins regardless of key.
  t[0].median_s = 10.2e-6;
  EXPECT_EQ(pick_winner(t), std::optional<std::size_t>(1));
  for (auto& x : t) x.status = db::Status::launch_failed;
  EXPECT_FALSE(pick_winner(t).has_value());
}

TEST(Winner, WithinNoise) {
  EXPECT_TRUE(within_noise(100e-6, 0.01, 101e-6, 0.01));
  EXPECT_FALSE(within_noise(100e-6, 0.001, 103e-6, 0.001));
  EXPECT_TRUE(within_noise(100e-6, 0.0, 100.4e-6, 0.0));
  EXPECT_EQ(within_noise(100e-6, 0.004, 101e-6, 0.002), within_noise(101e-6, 0.002, 100e-6, 0.004));
}

TEST(Shard, ParseAndSplitIsAPartitionIndependentOfOrder) {
  EXPECT_EQ(parse_shard("2/5").index, 2);
  EXPECT_EQ(parse_shard("2/5").count, 5);
  for (const char* bad : {"5/5", "-1/3", "1", "/3", "1/", "a/3", "1/0", "1/3x"})
    EXPECT_THROW(parse_shard(bad), InputError) << bad;

  SuiteSpec spec;
  spec.models = {"llama-7b", "llama-3-8b"};
  spec.ops = {Op::gemv};
  spec.vq = {"quip#-4", "aqlm-3", "gptvq-2"};
  spec.batches = {1, 16};
  const auto suite = suite_problems(spec);
  ASSERT_GE(suite.size(), 20u);
  auto shuffled = suite;
  std::mt19937 rng(3);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::multiset<std::string> all;
  for (int i = 0; i < 3; ++i) {
    const auto a = shard_problems(suite, Shard{i, 3});
    const auto b = shard_problems(shuffled, Shard{i, 3});
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].key(), b[j].key());
    EXPECT_LE(a.size(), suite.size() / 3 + 1);
    EXPECT_GE(a.size(), suite.size() / 3);
    for (const auto& p : a) all.insert(p.key());
  }
  std::multiset<std::string> expect;
  for (const auto& p : suite) expect.insert(p.key());
  EXPECT_EQ(all, expect);
}

TEST(Suite, Llama7bGemvHasItsFourLayersPerBatch) {
  SuiteSpec spec;
  spec.models = {"llama-7b"};
  spec.ops = {Op::gemv};
  spec.vq = {"quip#-4"};
  spec.batches = {1, 16};
  const auto suite = suite_problems(spec);
  const auto layers =
      expand_model(find_model_shape("llama-7b"), Op::gemv, parse_vq("quip#-4"), 1, 4096);
  std::set<std::string> distinct;
  for (const auto& l : layers) distinct.insert(l.problem.key());
  EXPECT_EQ(suite.size(), 2 * distinct.size());
  for (const auto& p : suite) EXPECT_TRUE(p.m == 1 || p.m == 16);
}
