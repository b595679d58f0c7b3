// One test per cost-model term (model/terms.hpp), against values worked out by hand or by an
// independent Monte Carlo simulation with a fresh seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "model/terms.hpp"

using namespace vqt;

TEST(Terms, TierFractions) {
  const std::vector<double> cdf = {0.5, 0.75, 0.875, 1.0};
  TierFractions t = tier_fractions(cdf.data(), 4, 1, 3);
  EXPECT_DOUBLE_EQ(t.reg, 0.5);
  EXPECT_DOUBLE_EQ(t.smem, 0.375);
  EXPECT_DOUBLE_EQ(t.global, 0.125);
  t = tier_fractions(cdf.data(), 4, 0, 0);
  EXPECT_DOUBLE_EQ(t.global, 1.0);
  t = tier_fractions(cdf.data(), 4, 0, 4);
  EXPECT_DOUBLE_EQ(t.smem, 1.0);
  EXPECT_DOUBLE_EQ(t.global, 0.0);
}

TEST(Terms, WarpTouchProbability) {
  EXPECT_DOUBLE_EQ(warp_touch_probability(0), 0);
  EXPECT_DOUBLE_EQ(warp_touch_probability(1), 1);
  EXPECT_NEAR(warp_touch_probability(0.1), 1 - std::pow(0.9, 32), 1e-12);
  EXPECT_NEAR(warp_touch_probability(0.01), 1 - std::pow(0.99, 32), 1e-12);
}

TEST(Terms, ExpectedMaxLoadExactSmallCases) {
  EXPECT_DOUBLE_EQ(expected_max_load(0, 8), 0);
  EXPECT_NEAR(expected_max_load(1, 8), 1, 1e-12);
  EXPECT_NEAR(expected_max_load(5, 1), 5, 1e-9);
  // 2 balls, 2 bins: same bin with p = 1/2 -> 2, else 1 -> 1.5.
  EXPECT_NEAR(expected_max_load(2, 2), 1.5, 1e-12);
  // 3 balls, 3 bins: all distinct 6/27 -> 1, all same 3/27 -> 3, else 18/27 -> 2: 51/27.
  EXPECT_NEAR(expected_max_load(3, 3), 51.0 / 27.0, 1e-12);
  // Interpolates between integers.
  EXPECT_NEAR(expected_max_load(1.5, 2), 1.25, 1e-12);
}

TEST(Terms, ExpectedMaxLoadMatchesMonteCarlo) {
  std::mt19937_64 rng(std::random_device{}());
  for (auto [n, m] : {std::pair{8, 8}, std::pair{32, 32}, std::pair{16, 4}}) {
    std::uniform_int_distribution<int> bin(0, m - 1);
    double sum = 0;
    const int trials = 20000;
    for (int t = 0; t < trials; ++t) {
      std::vector<int> load(std::size_t(m), 0);
      for (int i = 0; i < n; ++i) ++load[std::size_t(bin(rng))];
      sum += *std::max_element(load.begin(), load.end());
    }
    EXPECT_NEAR(expected_max_load(n, m), sum / trials, 0.03) << n << " into " << m;
  }
}

TEST(Terms, DistinctFraction) {
  EXPECT_DOUBLE_EQ(distinct_fraction(8, 0), 1.0);
  EXPECT_DOUBLE_EQ(distinct_fraction(1, 0.9), 1.0);
  EXPECT_DOUBLE_EQ(distinct_fraction(8, 1.0), 1.0 / 8);  // every lane the same entry
  EXPECT_NEAR(distinct_fraction(8, 0.01), 1 - 7 * 0.01 / 2, 1e-12);
}

// E[max over `groups` independent placements of `balls` balls in `bins` bins], by enumerating
// every placement of all the groups' balls.
double brute_max_of_groups(int balls, int bins, int groups) {
  const int n = balls * groups;
  long long total = 1;
  for (int i = 0; i < n; ++i) total *= bins;
  double sum = 0;
  for (long long code = 0; code < total; ++code) {
    long long c = code;
    int worst = 0;
    for (int g = 0; g < groups; ++g) {
      int load[8] = {0};
      for (int b = 0; b < balls; ++b) {
        ++load[c % bins];
        c /= bins;
      }
      for (int k = 0; k < bins; ++k) worst = std::max(worst, load[k]);
    }
    sum += worst;
  }
  return sum / double(total);
}

TEST(Terms, ExpectedMaxLoadOfGroupsMatchesEnumeration) {
  for (int balls : {1, 2, 3, 4})
    for (int bins : {2, 3, 4})
      for (int groups : {1, 2, 3}) {
        SCOPED_TRACE(std::to_string(balls) + " in " + std::to_string(bins) + " x " +
                     std::to_string(groups));
        EXPECT_NEAR(expected_max_load_of_groups(balls, bins, groups),
                    brute_max_of_groups(balls, bins, groups), 1e-9);
      }
  EXPECT_DOUBLE_EQ(expected_max_load_of_groups(5.0, 8, 1), expected_max_load(5.0, 8));
  // Fractional balls interpolate between the neighbouring counts.
  EXPECT_NEAR(expected_max_load_of_groups(2.5, 4, 2),
              0.5 * (expected_max_load_of_groups(2, 4, 2) + expected_max_load_of_groups(3, 4, 2)),
              1e-12);
}

TEST(Terms, SmemWavefrontsAndCopies) {
  // 16-byte rows (v = 8 fp16): LDS.128 in 4 quarter-warp phases of 8 lanes over 8 slots.
  EXPECT_DOUBLE_EQ(smem_wavefronts_per_request(16, 32, 0.0, 1), 4.0);  // all broadcast
  EXPECT_NEAR(smem_wavefronts_per_request(16, 32, 1.0, 1), 4 * expected_max_load(8, 8), 1e-12);
  // 2 copies: 4 lanes of each copy into its own 4 slots; 4 copies: 2 lanes into 2 slots. A phase
  // waits for its most loaded group: with 4 copies each group has max load 1 or 2 with
  // probability 1/2, so the phase's is 2 unless all four groups drew 1: 2 - 1/16.
  EXPECT_NEAR(smem_wavefronts_per_request(16, 32, 1.0, 2), 4 * expected_max_load_of_groups(4, 4, 2),
              1e-12);
  EXPECT_NEAR(smem_wavefronts_per_request(16, 32, 1.0, 4), 4 * (2.0 - 1.0 / 16), 1e-12);
  EXPECT_GT(smem_wavefronts_per_request(16, 32, 1.0, 2), 4 * expected_max_load(4, 4));
  // Copies never add wavefronts.
  for (int row : {4, 8, 16, 32})
    EXPECT_LE(smem_wavefronts_per_request(row, 32, 1.0, 4),
              smem_wavefronts_per_request(row, 32, 1.0, 1));
  // 4-byte rows (v = 2): one phase, 32 lanes into 32 banks.
  EXPECT_NEAR(smem_wavefronts_per_request(4, 32, 1.0, 1), expected_max_load(32, 32), 1e-12);
  // 32-byte rows (v = 16): two LDS.128.
  EXPECT_NEAR(smem_wavefronts_per_request(32, 32, 1.0, 1), 8 * expected_max_load(8, 8), 1e-12);
  EXPECT_DOUBLE_EQ(smem_wavefronts_per_request(16, 0, 1.0, 1), 0.0);
  // Conflict-free reference: one wavefront per 128 bytes of the warp's loads.
  EXPECT_DOUBLE_EQ(smem_ideal_wavefronts(16), 4.0);
  EXPECT_DOUBLE_EQ(smem_ideal_wavefronts(8), 2.0);
  EXPECT_DOUBLE_EQ(smem_ideal_wavefronts(4), 1.0);
  EXPECT_DOUBLE_EQ(smem_ideal_wavefronts(32), 8.0);
  for (int row : {4, 8, 16, 32})
    EXPECT_DOUBLE_EQ(smem_wavefronts_per_request(row, 32, 0.0, 1), smem_ideal_wavefronts(row));
}

TEST(Terms, CacheHitFraction) {
  const std::vector<double> cdf = {0.25, 0.5, 0.75, 1.0};
  // Lookups to entries >= 1 (0.75 of all); a 2-row cache keeps entries 1, 2: 0.5 / 0.75.
  EXPECT_NEAR(cache_hit_fraction(cdf.data(), 4, 1, 2), 2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(cache_hit_fraction(cdf.data(), 4, 1, 100), 1.0);
  EXPECT_DOUBLE_EQ(cache_hit_fraction(cdf.data(), 4, 1, 0), 0.0);
  EXPECT_DOUBLE_EQ(cache_hit_fraction(cdf.data(), 4, 4, 0), 1.0);  // nothing global
  EXPECT_NEAR(cache_hit_fraction(cdf.data(), 4, 0, 1), 0.25, 1e-12);
}

TEST(Terms, Waves) {
  EXPECT_DOUBLE_EQ(wave_efficiency(132, 132), 1.0);
  EXPECT_DOUBLE_EQ(wave_efficiency(133, 132), 133.0 / 264.0);
  EXPECT_DOUBLE_EQ(wave_efficiency(66, 132), 0.5);
}

TEST(Terms, RegistersPerThread) {
  EXPECT_EQ(regs_per_thread(32, 0, 8, 2), 32);
  EXPECT_EQ(regs_per_thread(30, 0, 8, 2), 32);              // rounded to 8
  EXPECT_EQ(regs_per_thread(32, 8, 8, 2), 32 + 8 * 4 * 2);  // 8 entries x 4 half2 x 2 codebooks
  EXPECT_EQ(regs_per_thread(40, 16, 2, 1), 56);             // v = 2: one register per entry
}

TEST(Terms, Reduction) {
  EXPECT_DOUBLE_EQ(reduction_bytes(100, 1), 0.0);
  EXPECT_DOUBLE_EQ(reduction_bytes(100, 4), 100 * 4 * 2 * 4.0);
}
