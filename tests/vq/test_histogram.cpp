#include <gtest/gtest.h>

#include <cmath>

#include "random_tensor.hpp"
#include "vq/histogram.hpp"

using namespace vqt;

static IndexHistogram make(std::vector<std::vector<std::uint64_t>> c) {
  IndexHistogram h;
  h.levels = int(c.size());
  h.entries = std::int64_t(c[0].size());
  h.counts = std::move(c);
  return h;
}

TEST(Histogram, SummaryOnHandMadeHistograms) {
  // Uniform over 4 entries: entropy 2 bits, top-1 mass 1/4.
  const auto u = make({{5, 5, 5, 5}});
  EXPECT_EQ(u.total(0), 20u);
  EXPECT_DOUBLE_EQ(u.entropy_bits(0), 2.0);
  EXPECT_DOUBLE_EQ(u.top_mass(1), 0.25);
  EXPECT_DOUBLE_EQ(u.top_mass(0), 0.0);
  EXPECT_DOUBLE_EQ(u.top_mass(4), 1.0);
  EXPECT_DOUBLE_EQ(u.top_mass(100), 1.0);

  // Unsorted, two levels: level 0 {1,0,3,4} (total 8), level 1 {0,8,0,0} (total 8).
  const auto h = make({{1, 0, 3, 4}, {0, 8, 0, 0}});
  EXPECT_DOUBLE_EQ(h.top_mass(1), (4.0 + 8.0) / 16.0);
  EXPECT_DOUBLE_EQ(h.top_mass(2), (7.0 + 8.0) / 16.0);
  EXPECT_DOUBLE_EQ(h.entropy_bits(1), 0.0);
  const double p[3] = {1.0 / 8, 3.0 / 8, 4.0 / 8};
  double want = 0;
  for (double x : p) want -= x * std::log2(x);
  EXPECT_NEAR(h.entropy_bits(0), want, 1e-12);
  const auto cdf = h.sorted_cdf();
  ASSERT_EQ(cdf.size(), 4u);
  EXPECT_DOUBLE_EQ(cdf[0], (4.0 / 8 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(cdf[1], (7.0 / 8 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(cdf[2], 1.0);
  EXPECT_DOUBLE_EQ(cdf[3], 1.0);
}

TEST(Histogram, CountsCodesAndLatticeRows) {
  VqTensor t = test::random_tensor(parse_vq("aqlm-2x8"), 4, 16, 3);
  t.codes = {1, 2, 1, 2, 1, 3, 7, 2};  // 4 rows x 2 groups... x 2 levels = 16 codes
  t.codes.resize(16, 0);
  const auto h = histogram_of(t);
  EXPECT_EQ(h.levels, 2);
  EXPECT_EQ(h.entries, 256);
  EXPECT_EQ(h.counts[0][1], 3u);  // level 0 = even positions: 1,1,1,7,0,0,0,0
  EXPECT_EQ(h.counts[0][7], 1u);
  EXPECT_EQ(h.counts[0][0], 4u);
  EXPECT_EQ(h.counts[1][2], 3u);  // level 1: 2,2,3,2,0,0,0,0
  EXPECT_EQ(h.counts[1][3], 1u);

  VqTensor q = test::random_tensor(parse_vq("quip#-4"), 2, 16, 4);
  q.codes = {0x0105, 0xFF05, 0x0006, 0x8005, 0, 0, 0, 0};
  const auto hq = histogram_of(q);
  EXPECT_EQ(hq.entries, 256);
  // Level 0 (even positions): 0x0105, 0x0006, 0, 0 -> rows 5, 6, 0, 0 (sign bits ignored).
  EXPECT_EQ(hq.counts[0][5], 1u);
  EXPECT_EQ(hq.counts[0][6], 1u);
  EXPECT_EQ(hq.counts[0][0], 2u);
  // Level 1: 0xFF05, 0x8005, 0, 0.
  EXPECT_EQ(hq.counts[1][5], 2u);
  EXPECT_EQ(hq.counts[1][0], 2u);
}
