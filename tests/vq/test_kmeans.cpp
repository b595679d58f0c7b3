#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "vq/error.hpp"
#include "vq/half.hpp"
#include "vq/kmeans.hpp"
#include "vq/quantizer.hpp"
#include "vq/reference.hpp"
#include "vq/synthetic.hpp"

using namespace vqt;

namespace {

double d2(const float* a, const float* b, int dim) {
  double s = 0;
  for (int d = 0; d < dim; ++d) s += (double(a[d]) - b[d]) * (double(a[d]) - b[d]);
  return s;
}

std::vector<float> randn(std::size_t n, std::uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

}  // namespace

TEST(Kmeans, AssignFindsTheNearestCentroidForEveryDim) {
  const std::uint64_t seed = std::random_device{}();
  for (int dim : {1, 2, 4, 8, 16}) {
    const std::int64_t n = 5003, k = 300;  // k not a multiple of the 256-centroid block
    const auto x = randn(std::size_t(n * dim), seed + std::uint64_t(dim));
    const auto c = randn(std::size_t(k * dim), seed * 3 + std::uint64_t(dim));
    std::vector<std::uint16_t> codes(std::size_t(n), 0xFFFF);
    std::vector<float> dist(std::size_t(n), -1.0f);
    kmeans_assign(x.data(), n, dim, c.data(), k, codes.data(), dist.data(), 2);
    for (std::int64_t i = 0; i < n; ++i) {
      double best = 1e300;
      for (std::int64_t j = 0; j < k; ++j) best = std::min(best, d2(&x[i * dim], &c[j * dim], dim));
      ASSERT_LT(codes[std::size_t(i)], k);
      const double got = d2(&x[i * dim], &c[codes[std::size_t(i)] * dim], dim);
      ASSERT_LE(got, best + 1e-4 * (1 + best)) << "dim " << dim << " point " << i;
      ASSERT_NEAR(dist[std::size_t(i)], got, 1e-3 * (1 + got));
    }
  }
}

TEST(Kmeans, TrainRecoversSeparatedClustersAndIsDeterministic) {
  // 6 well-separated 2-D clusters: k-means++ + Lloyd must put one centroid on each.
  const float centres[6][2] = {{0, 0}, {10, 0}, {0, 10}, {10, 10}, {-10, 5}, {5, -10}};
  std::mt19937_64 rng(std::random_device{}());
  std::normal_distribution<float> nd(0.0f, 0.3f);
  std::vector<float> x;
  for (int i = 0; i < 6000; ++i) {
    x.push_back(centres[i % 6][0] + nd(rng));
    x.push_back(centres[i % 6][1] + nd(rng));
  }
  KmeansOptions o;
  o.seed = 42;
  const auto c = kmeans_train(x.data(), 6000, 2, 6, o);
  for (const auto& ctr : centres) {
    double best = 1e300;
    for (int j = 0; j < 6; ++j) best = std::min(best, d2(ctr, &c[std::size_t(j * 2)], 2));
    EXPECT_LT(best, 0.05) << ctr[0] << "," << ctr[1];
  }
  o.threads = 1;
  EXPECT_EQ(kmeans_train(x.data(), 6000, 2, 6, o), c);  // same seed, other thread count
  EXPECT_THROW(kmeans_train(x.data(), 6000, 3, 6, o), InputError);
  EXPECT_THROW(kmeans_train(x.data(), 0, 2, 6, o), InputError);
}

TEST(Quantizer, BeatsARandomCodebookAndImprovesWithEntriesAndLevels) {
  const std::int64_t rows = 128, cols = 256;
  const auto w = synthetic_weights(rows, cols, std::random_device{}());
  auto err = [&](const char* spec) {
    return quantize(parse_vq(spec), w.data(), rows, cols).relative_error;
  };
  const double e48 = err("vq:4,8,1");
  // Random codebook of the same size with the data's scale, optimally assigned.
  double var = 0;
  for (float v : w) var += double(v) * v;
  const float sd = float(std::sqrt(var / double(w.size())));
  const auto cb = randn(256 * 4, 99, sd);
  std::vector<std::uint16_t> codes(w.size() / 4);
  std::vector<float> dist(codes.size());
  kmeans_assign(w.data(), std::int64_t(codes.size()), 4, cb.data(), 256, codes.data(), dist.data(),
                2);
  double num = 0;
  for (float d : dist) num += d;
  const double e_random = std::sqrt(num / var);
  EXPECT_LT(e48, 0.8 * e_random);
  EXPECT_LT(e48, 0.5);
  EXPECT_GT(err("vq:4,4,1"), err("vq:4,6,1"));
  EXPECT_GT(err("vq:4,6,1"), e48);
  const double e61 = err("vq:4,6,1"), e62 = err("vq:4,6,2"), e63 = err("vq:4,6,3");
  EXPECT_GT(e61, e62);
  EXPECT_GT(e62, e63);
}

TEST(Quantizer, EveryScopeLatticeAndFp16) {
  const std::int64_t rows = 128, cols = 256;
  const auto w = synthetic_weights(rows, cols, 5);
  for (const char* spec : {"vq:4,6,1:tile=64x128", "vq:2,5,2:group=8", "quip#-4", "vq:8,8,2"}) {
    const auto q = quantize(parse_vq(spec), w.data(), rows, cols);
    EXPECT_NO_THROW(q.tensor.check_consistent()) << spec;
    EXPECT_LT(q.relative_error, 0.6) << spec;
    EXPECT_NEAR(q.relative_error, relative_error(w.data(), q.tensor), 1e-12);
  }
  const auto lat = quantize(parse_vq("quip#-4"), w.data(), rows, cols);
  for (float v : lat.tensor.codebooks) ASSERT_GE(v, 0.0f);  // magnitude rows
  // Sign bits follow the signs of level 0's input: a negative weight has its bit set.
  EXPECT_EQ((lat.tensor.codes[0] >> 8) & 1, w[0] < 0 ? 1 : 0);

  // fp16 input quantizes exactly like its fp32 values.
  std::vector<std::uint16_t> h(w.size());
  std::vector<float> wh(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    h[i] = float_to_half_bits(w[i]);
    wh[i] = half_bits_to_float(h[i]);
  }
  const auto a = quantize_fp16(parse_vq("vq:4,6,2"), h.data(), rows, cols);
  const auto b = quantize(parse_vq("vq:4,6,2"), wh.data(), rows, cols);
  EXPECT_EQ(a.tensor.codes, b.tensor.codes);
  EXPECT_EQ(a.tensor.codebooks, b.tensor.codebooks);
}

TEST(Quantizer, DeterministicForASeedAndSamplesLargeTensors) {
  const std::int64_t rows = 64, cols = 512;
  const auto w = synthetic_weights(rows, cols, 11);
  QuantizeOptions o;
  o.seed = 3;
  o.max_train_vectors = 1000;  // < 64 * 512 / 4 vectors: trains on a sample
  const auto a = quantize(parse_vq("vq:4,6,2"), w.data(), rows, cols, o);
  EXPECT_EQ(a.train_vectors, 1000);
  o.threads = 1;
  const auto b = quantize(parse_vq("vq:4,6,2"), w.data(), rows, cols, o);
  EXPECT_EQ(a.tensor.codes, b.tensor.codes);
  EXPECT_EQ(a.tensor.codebooks, b.tensor.codebooks);
  // Instances spread over threads (per_tile) give the same result as one thread.
  QuantizeOptions one, two;
  one.threads = 1;
  two.threads = 2;
  const auto t1 = quantize(parse_vq("vq:4,5,2:tile=16x128"), w.data(), rows, cols, one);
  const auto t2 = quantize(parse_vq("vq:4,5,2:tile=16x128"), w.data(), rows, cols, two);
  EXPECT_EQ(t1.tensor.codes, t2.tensor.codes);
  EXPECT_EQ(t1.tensor.codebooks, t2.tensor.codebooks);
  o.seed = 4;
  const auto c = quantize(parse_vq("vq:4,6,2"), w.data(), rows, cols, o);
  EXPECT_NE(a.tensor.codebooks, c.tensor.codebooks);
  EXPECT_LT(a.relative_error, 0.5);
}

TEST(Quantizer, RejectsShapesThatDoNotFit) {
  std::vector<float> w(64 * 60, 1.0f);
  EXPECT_THROW(quantize(parse_vq("vq:8,4,1"), w.data(), 64, 60), InputError);  // 60 % 8
  EXPECT_THROW(quantize(parse_vq("gptvq-2"), w.data(), 64, 60), InputError);   // tiles
  EXPECT_THROW(quantize(parse_vq("vq:4,4,1:group=8"), w.data(), 64, 60), InputError);
  EXPECT_THROW(quantize(parse_vq("vq:4,4,1"), w.data(), 0, 60), InputError);
  w[5 * 60 + 7] = std::nanf("");
  EXPECT_THROW(quantize(parse_vq("vq:4,4,1"), w.data(), 64, 60), InputError);
  // All-equal weights: no NaN from empty clusters or zero norms.
  std::vector<float> z(64 * 64, 0.0f);
  const auto q = quantize(parse_vq("vq:4,4,2"), z.data(), 64, 64);
  EXPECT_EQ(q.relative_error, 0.0);
}
