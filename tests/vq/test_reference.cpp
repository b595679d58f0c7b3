#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "random_tensor.hpp"
#include "vq/error.hpp"
#include "vq/reference.hpp"

using namespace vqt;

namespace {

// Obviously-correct dequantization straight from the documented layout (no helpers).
double naive_weight(const VqTensor& t, std::int64_t row, std::int64_t col) {
  const auto& c = t.config;
  const std::int64_t g = col / c.vec_size, j = col % c.vec_size;
  std::int64_t inst = 0;
  if (c.scope == Scope::per_tile)
    inst = (row / c.tile_rows) * (t.cols / c.tile_cols) + col / c.tile_cols;
  if (c.scope == Scope::per_head_group) inst = col / c.channel_group;
  double w = 0;
  for (int l = 0; l < c.residuals; ++l) {
    const std::uint32_t code =
        t.codes[std::size_t((row * (t.cols / c.vec_size) + g) * c.residuals + l)];
    std::uint32_t entry = code;
    double sign = 1;
    if (c.lattice_entries > 0) {
      entry = code & 0xFF;
      sign = ((code >> (8 + j)) & 1) ? -1 : 1;
    }
    const std::size_t at =
        std::size_t(((inst * c.residuals + l) * c.stored_entries() + entry) * c.vec_size + j);
    w += sign * double(t.codebooks[at]);
  }
  return w;
}

struct Case {
  const char* spec;
  std::int64_t rows, cols;
};

}  // namespace

TEST(Reference, DequantizeMatchesNaiveForEveryScope) {
  const Case cases[] = {
      {"aqlm-3", 16, 64},          {"quip#-4", 8, 32}, {"vq:4,8,1:tile=8x16", 16, 32},
      {"vq:2,4,3:group=4", 6, 12}, {"vq:1,3,1", 5, 7}, {"aqlm-2x8", 3, 40}};
  std::uint64_t seed = std::random_device{}();
  for (const auto& cs : cases) {
    const VqTensor t = test::random_tensor(parse_vq(cs.spec), cs.rows, cs.cols, seed++);
    t.check_consistent();
    const auto w = dequantize(t);
    ASSERT_EQ(w.size(), std::size_t(cs.rows * cs.cols));
    for (std::int64_t n = 0; n < cs.rows; ++n)
      for (std::int64_t k = 0; k < cs.cols; ++k)
        ASSERT_NEAR(w[std::size_t(n * cs.cols + k)], naive_weight(t, n, k), 1e-5)
            << cs.spec << " at " << n << "," << k;
  }
}

TEST(Reference, GemmAndGemvMatchNaiveFp64Loops) {
  std::mt19937_64 rng(std::random_device{}());
  std::normal_distribution<float> nd;
  for (const char* spec : {"aqlm-3", "quip#-4", "vq:4,8,1:tile=4x16"}) {
    const std::int64_t n = 12, k = 48;
    const VqTensor t = test::random_tensor(parse_vq(spec), n, k, rng());
    for (std::int64_t m : {1, 3, 16}) {
      std::vector<float> x(std::size_t(m * k));
      for (auto& e : x) e = nd(rng);
      const auto y = m == 1 ? reference_gemv(t, x.data(), m) : reference_gemm(t, x.data(), m);
      ASSERT_EQ(y.size(), std::size_t(m * n));
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t r = 0; r < n; ++r) {
          double want = 0;
          for (std::int64_t c = 0; c < k; ++c)
            want += double(x[std::size_t(i * k + c)]) * naive_weight(t, r, c);
          ASSERT_NEAR(y[std::size_t(i * n + r)], want, 1e-4 * (1 + std::fabs(want)))
              << spec << " m=" << m;
        }
    }
  }
}

TEST(Reference, LargeGemmSplitOverThreadsMatchesDequantizedProduct) {
  const std::int64_t n = 256, k = 1024, m = 16;  // large enough for the threaded path
  std::mt19937_64 rng(std::random_device{}());
  const VqTensor t = test::random_tensor(parse_vq("aqlm-2x8"), n, k, rng());
  std::normal_distribution<float> nd;
  std::vector<float> x(std::size_t(m * k));
  for (auto& e : x) e = nd(rng);
  const auto w = dequantize(t);
  const auto y = reference_gemm(t, x.data(), m);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t r = 0; r < n; ++r) {
      double want = 0;
      for (std::int64_t c = 0; c < k; ++c)
        want += double(x[std::size_t(i * k + c)]) * double(w[std::size_t(r * k + c)]);
      ASSERT_EQ(y[std::size_t(i * n + r)], want) << i << "," << r;  // same order, same bits
    }
}

TEST(Reference, RejectsInconsistentTensors) {
  VqTensor t = test::random_tensor(parse_vq("vq:4,6,1"), 4, 16, 1);
  t.codes[3] = 64;  // does not fit in 6 bits
  EXPECT_THROW(dequantize(t), InputError);
  t.codes[3] = 0;
  t.codebooks.pop_back();
  std::vector<float> x(16, 1.0f);
  EXPECT_THROW(reference_gemm(t, x.data(), 1), InputError);
}
