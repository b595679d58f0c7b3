#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "vq/histogram.hpp"
#include "vq/quantizer.hpp"
#include "vq/reference.hpp"
#include "vq/reorder.hpp"
#include "vq/synthetic.hpp"

using namespace vqt;

TEST(Reorder, HottestFirstAndDequantizedBytesUnchanged) {
  const std::int64_t rows = 128, cols = 256;
  const auto w = synthetic_weights(rows, cols, std::random_device{}());
  for (const char* spec : {"vq:4,6,2", "quip#-4", "vq:4,5,1:tile=64x64", "vq:2,4,1:group=16"}) {
    auto t = quantize(parse_vq(spec), w.data(), rows, cols).tensor;
    const auto before = dequantize(t);
    const auto old_codes = t.codes;
    const auto perms = reorder_hottest_first(t);
    const auto after = dequantize(t);
    ASSERT_EQ(before.size(), after.size());
    EXPECT_EQ(std::memcmp(before.data(), after.data(), before.size() * sizeof(float)), 0) << spec;
    EXPECT_EQ(perms.size(), std::size_t(t.instances() * t.config.residuals));
    if (t.config.lattice_entries > 0) {
      for (std::size_t i = 0; i < t.codes.size(); ++i)
        ASSERT_EQ(t.codes[i] & 0xFF00, old_codes[i] & 0xFF00);  // sign bits kept
    }
    if (t.instances() == 1) {
      const auto h = histogram_of(t);
      for (int l = 0; l < h.levels; ++l)
        for (std::int64_t e = 1; e < h.entries; ++e)
          ASSERT_GE(h.counts[std::size_t(l)][std::size_t(e - 1)],
                    h.counts[std::size_t(l)][std::size_t(e)])
              << spec << " level " << l;
    }
  }
}

TEST(Reorder, PerInstanceCountsAreSorted) {
  // Hand-made per_tile tensor: 2 tiles, codes chosen so each tile has a different hottest entry.
  VqTensor t;
  t.config = parse_vq("vq:1,2,1:tile=1x2");
  t.rows = 1;
  t.cols = 4;
  t.codebooks = {0.f, 1.f, 2.f, 3.f, 10.f, 11.f, 12.f, 13.f};
  t.codes = {3, 3, 1, 2};  // tile 0: entry 3 twice; tile 1: entries 1 and 2
  const auto perms = reorder_hottest_first(t);
  EXPECT_EQ(perms[0][0], 3u);
  EXPECT_EQ(t.codes[0], 0);
  EXPECT_EQ(t.codes[1], 0);
  EXPECT_FLOAT_EQ(t.codebooks[0], 3.f);
  EXPECT_EQ(perms[1][0], 1u);  // tie between 1 and 2: old order kept
  EXPECT_EQ(perms[1][1], 2u);
  EXPECT_EQ(t.codes[2], 0);
  EXPECT_EQ(t.codes[3], 1);
  EXPECT_EQ(dequantize(t), (std::vector<float>{3.f, 3.f, 11.f, 12.f}));
}
