#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "vq/error.hpp"
#include "vq/kv_cache.hpp"
#include "vq/reference.hpp"
#include "vq/synthetic.hpp"

using namespace vqt;

namespace {

// A cache with random codes and codebooks, straight from the documented layout.
KvCacheVq random_cache(const char* spec, std::int64_t batch, std::int64_t kvh, std::int64_t ctx,
                       std::int64_t hd, std::uint64_t seed) {
  KvCacheVq kv;
  kv.config = parse_vq(spec);
  kv.batch = batch;
  kv.kv_heads = kvh;
  kv.context = ctx;
  kv.head_dim = hd;
  const auto& c = kv.config;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd;
  const auto n_codes = std::size_t(batch * kvh * ctx * (hd / c.vec_size) * c.residuals);
  const auto n_cb =
      std::size_t(kvh * (hd / c.channel_group) * c.residuals * c.entries() * c.vec_size);
  for (auto* codes : {&kv.k_codes, &kv.v_codes}) {
    codes->resize(n_codes);
    for (auto& x : *codes) x = std::uint8_t(rng() % std::uint64_t(c.entries()));
  }
  for (auto* cb : {&kv.k_codebooks, &kv.v_codebooks}) {
    cb->resize(n_cb);
    for (auto& x : *cb) x = nd(rng);
  }
  return kv;
}

// Element (b, h, t, ch) of K or V, decoded by hand from the layout comment.
double naive_kv(const KvCacheVq& kv, bool keys, std::int64_t b, std::int64_t h, std::int64_t t,
                std::int64_t ch) {
  const auto& c = kv.config;
  const std::int64_t v = c.vec_size, g = ch / v, j = ch % v, groups = kv.head_dim / v;
  const std::int64_t cg = ch / c.channel_group, cph = kv.head_dim / c.channel_group;
  const auto& codes = keys ? kv.k_codes : kv.v_codes;
  const auto& cb = keys ? kv.k_codebooks : kv.v_codebooks;
  double s = 0;
  for (int l = 0; l < c.residuals; ++l) {
    const std::int64_t code = codes[std::size_t(
        (((b * kv.kv_heads + h) * kv.context + t) * groups + g) * c.residuals + l)];
    s += cb[std::size_t((((h * cph + cg) * c.residuals + l) * c.entries() + code) * v + j)];
  }
  return s;
}

}  // namespace

TEST(KvCache, DequantizeMatchesTheLayout) {
  for (const char* spec : {"cq-4", "cq-2", "vq:2,4,2:group=4"}) {
    const auto kv = random_cache(spec, 2, 3, 5, 16, std::random_device{}());
    ASSERT_NO_THROW(kv.check_consistent());
    for (bool keys : {true, false}) {
      const auto d = dequantize_kv(kv, keys);
      std::size_t at = 0;
      for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t h = 0; h < 3; ++h)
          for (std::int64_t t = 0; t < 5; ++t)
            for (std::int64_t ch = 0; ch < 16; ++ch)
              ASSERT_NEAR(d[at++], naive_kv(kv, keys, b, h, t, ch), 1e-6) << spec;
    }
  }
}

TEST(KvCache, AttentionMatchesNaiveFp64WithGroupedQueries) {
  std::mt19937_64 rng(std::random_device{}());
  std::normal_distribution<float> nd;
  for (const char* spec : {"cq-4", "vq:2,4,2:group=4"}) {
    const std::int64_t batch = 2, kvh = 2, qh = 6, ctx = 37, hd = 16;
    const auto kv = random_cache(spec, batch, kvh, ctx, hd, rng());
    std::vector<float> q(std::size_t(batch * qh * hd));
    for (auto& x : q) x = nd(rng);
    for (double scale : {1.0 / 4.0, 50.0}) {  // 50: scores in the hundreds, needs stable softmax
      const auto out = reference_attention_decode(q.data(), qh, kv, scale);
      ASSERT_EQ(out.size(), q.size());
      for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t h = 0; h < qh; ++h) {
          const std::int64_t g = h / (qh / kvh);
          std::vector<double> s(static_cast<std::size_t>(ctx));
          double mx = -1e300;
          for (std::int64_t t = 0; t < ctx; ++t) {
            double dot = 0;
            for (std::int64_t c = 0; c < hd; ++c)
              dot += double(q[std::size_t((b * qh + h) * hd + c)]) * naive_kv(kv, true, b, g, t, c);
            s[std::size_t(t)] = dot * scale;
            mx = std::max(mx, s[std::size_t(t)]);
          }
          double z = 0;
          for (double x : s) z += std::exp(x - mx);
          // The cache decodes levels in fp32 (as kernels do), the naive loop in fp64: each key
          // element is off by up to ~2 fp32 ulps, so a score by up to scale x 2.4e-7 x
          // sum_c |q_c k_c|, and the softmax-weighted output by twice that times max |v|.
          double abs_dot = 0, v_max = 0;
          for (std::int64_t t = 0; t < ctx; ++t) {
            double a = 0;
            for (std::int64_t c = 0; c < hd; ++c) {
              a += std::fabs(double(q[std::size_t((b * qh + h) * hd + c)]) *
                             naive_kv(kv, true, b, g, t, c));
              v_max = std::max(v_max, std::fabs(naive_kv(kv, false, b, g, t, c)));
            }
            abs_dot = std::max(abs_dot, a);
          }
          const double score_err = scale * 2.4e-7 * abs_dot;
          for (std::int64_t c = 0; c < hd; ++c) {
            double want = 0;
            for (std::int64_t t = 0; t < ctx; ++t)
              want += std::exp(s[std::size_t(t)] - mx) / z * naive_kv(kv, false, b, g, t, c);
            const double got = out[std::size_t((b * qh + h) * hd + c)];
            ASSERT_TRUE(std::isfinite(got));
            ASSERT_NEAR(got, want, 1e-5 * (1 + std::fabs(want)) + 2 * score_err * v_max)
                << spec << " scale " << scale;
          }
        }
    }
  }
  const auto kv = random_cache("cq-4", 1, 2, 4, 8, 1);
  std::vector<float> q(3 * 8, 1.0f);
  EXPECT_THROW(reference_attention_decode(q.data(), 3, kv, 1.0), InputError);
}

TEST(KvCache, QuantizerReordersExactlyAndRejectsBadConfigs) {
  const std::int64_t batch = 2, kvh = 2, ctx = 256, hd = 32;
  const auto k = synthetic_kv(batch, kvh, ctx, hd, true, 5);
  const auto v = synthetic_kv(batch, kvh, ctx, hd, false, 5);
  auto kv = quantize_kv_cache(parse_vq("cq-4"), k.data(), v.data(), batch, kvh, ctx, hd);
  ASSERT_NO_THROW(kv.check_consistent());
  auto rel = [](const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
      den += double(a[i]) * a[i];
    }
    return std::sqrt(num / den);
  };
  const auto dk = dequantize_kv(kv, true), dv = dequantize_kv(kv, false);
  EXPECT_LT(rel(k, dk), 0.15);  // 256 entries for 2-D vectors
  EXPECT_LT(rel(v, dv), 0.15);
  const auto kv2 = quantize_kv_cache(parse_vq("cq-2"), k.data(), v.data(), batch, kvh, ctx, hd);
  EXPECT_GT(rel(k, dequantize_kv(kv2, true)), rel(k, dk));  // 2 bits worse than 4

  QuantizeOptions one;
  one.threads = 1;
  const auto kv1 =
      quantize_kv_cache(parse_vq("cq-4"), k.data(), v.data(), batch, kvh, ctx, hd, one);
  EXPECT_EQ(kv1.k_codes, kv.k_codes);  // threads over (head, group) instances change nothing
  EXPECT_EQ(kv1.v_codebooks, kv.v_codebooks);

  reorder_kv_hottest_first(kv);
  const auto dk2 = dequantize_kv(kv, true), dv2 = dequantize_kv(kv, false);
  EXPECT_EQ(std::memcmp(dk.data(), dk2.data(), dk.size() * 4), 0);
  EXPECT_EQ(std::memcmp(dv.data(), dv2.data(), dv.size() * 4), 0);
  const auto wide = kv_codes_u16(kv, false);
  ASSERT_EQ(wide.size(), kv.v_codes.size());
  for (std::size_t i = 0; i < wide.size(); ++i) ASSERT_EQ(wide[i], kv.v_codes[i]);
  const auto h = kv_histogram(kv);
  EXPECT_EQ(h.total(0), std::uint64_t(2 * batch * kvh * ctx * hd / 2));
  EXPECT_GT(h.top_mass(3), 3.0 / 256.0);

  auto bad = v;
  bad[100] = INFINITY;
  EXPECT_THROW(quantize_kv_cache(parse_vq("cq-4"), k.data(), bad.data(), batch, kvh, ctx, hd),
               InputError);
  EXPECT_THROW(quantize_kv_cache(parse_vq("aqlm-3"), k.data(), v.data(), batch, kvh, ctx, hd),
               InputError);
  EXPECT_THROW(
      quantize_kv_cache(parse_vq("vq:2,10,1:group=2"), k.data(), v.data(), batch, kvh, ctx, hd),
      InputError);
  EXPECT_THROW(
      quantize_kv_cache(parse_vq("vq:2,8,1:group=6"), k.data(), v.data(), batch, kvh, ctx, 32),
      InputError);
}
