#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "vq/error.hpp"
#include "vq/histogram.hpp"
#include "vq/quantizer.hpp"
#include "vq/reorder.hpp"
#include "vq/synthetic.hpp"

using namespace vqt;
namespace fs = std::filesystem;

TEST(Synthetic, WeightStatisticsLookLikeLlmWeights) {
  const std::int64_t rows = 256, cols = 1024;
  const auto w = synthetic_weights(rows, cols, 17);
  EXPECT_EQ(w, synthetic_weights(rows, cols, 17));
  EXPECT_NE(w, synthetic_weights(rows, cols, 18));
  double m2 = 0, m4 = 0;
  for (float x : w) {
    m2 += double(x) * x;
    m4 += double(x) * x * x * x;
  }
  m2 /= double(w.size());
  m4 /= double(w.size());
  EXPECT_GT(m4 / (m2 * m2), 4.0);  // heavy tails: kurtosis well above Gaussian's 3
  EXPECT_NEAR(std::sqrt(m2), 0.02 * 1.3, 0.02);
  double lo = 1e9, hi = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (std::int64_t c = 0; c < cols; ++c)
      s += double(w[std::size_t(r * cols + c)]) * w[std::size_t(r * cols + c)];
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  EXPECT_GT(std::sqrt(hi / lo), 2.0);  // per-row scales vary
}

TEST(Synthetic, QuantizedHistogramsAreSkewed) {
  const auto w = synthetic_weights(256, 512, std::random_device{}());
  auto t = quantize(parse_vq("vq:4,10,1"), w.data(), 256, 512).tensor;
  reorder_hottest_first(t);
  const auto h = histogram_of(t);
  // The top 1% of the 1024 entries (10) take clearly more than 1% of the lookups, as in real
  // checkpoints; a uniform histogram would give 10/1024.
  EXPECT_GT(h.top_mass(10), 2.0 * 10.0 / 1024.0);
  EXPECT_GT(h.top_mass(102), 1.5 * 102.0 / 1024.0);  // top 10%
  EXPECT_LT(h.entropy_bits(0), 10.0 - 0.1);
}

TEST(Synthetic, HistogramIsCachedAndCorruptCacheIsRewritten) {
  const fs::path dir =
      fs::temp_directory_path() / ("vqt_hist_test_" + std::to_string(std::random_device{}()));
  const VqConfig c = parse_vq("vq:4,6,1");
  const auto h1 = synthetic_histogram(c, 256, 256, 9, dir.string());
  EXPECT_EQ(h1.levels, 1);
  EXPECT_EQ(h1.entries, 64);
  EXPECT_EQ(h1.total(0), 256u * 256u / 4u);
  EXPECT_EQ(h1.source.rfind("synthetic:256x256:seed=9", 0), 0u) << h1.source;
  for (std::int64_t e = 1; e < h1.entries; ++e)
    EXPECT_GE(h1.counts[0][std::size_t(e - 1)], h1.counts[0][std::size_t(e)]);
  std::vector<fs::path> files(fs::directory_iterator(dir), fs::directory_iterator{});
  ASSERT_EQ(files.size(), 1u);
  const fs::path f = files[0];
  auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string good = read(f);

  // The second call reads the file: plant a valid file whose last count differs (checksum is
  // FNV-1a 64 over everything before the trailing 8 bytes) and see it come back.
  auto fnv = [](const std::string& s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
    return h;
  };
  std::string planted = good;
  const std::uint64_t marker = 123456789;
  std::memcpy(&planted[planted.size() - 16], &marker, 8);
  const std::uint64_t sum = fnv(planted.substr(0, planted.size() - 8));
  std::memcpy(&planted[planted.size() - 8], &sum, 8);
  std::ofstream(f, std::ios::binary | std::ios::trunc) << planted;
  const auto h2 = synthetic_histogram(c, 256, 256, 9, dir.string());
  EXPECT_EQ(h2.counts[0].back(), marker);
  EXPECT_EQ(h2.source, h1.source);
  for (int mode = 0; mode < 3; ++mode) {
    std::string bad = good;
    if (mode == 0) bad[bad.size() / 2] = char(bad[bad.size() / 2] ^ 0x5A);  // flipped byte
    if (mode == 1) bad.resize(bad.size() / 3);                              // truncated
    if (mode == 2) bad = "not a histogram";
    std::ofstream(f, std::ios::binary | std::ios::trunc) << bad;
    const auto h3 = synthetic_histogram(c, 256, 256, 9, dir.string());
    EXPECT_EQ(h3.counts, h1.counts) << mode;
    EXPECT_EQ(read(f), good) << "cache not rewritten, mode " << mode;
  }
  // Another seed is another file; a bad shape is an InputError.
  synthetic_histogram(c, 256, 256, 10, dir.string());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 2);
  EXPECT_THROW(synthetic_histogram(c, 256, 250, 9, dir.string()), InputError);
  // No cache dir: computed, nothing written.
  EXPECT_EQ(synthetic_histogram(c, 256, 256, 9, "").counts, h1.counts);
  fs::remove_all(dir);
}
