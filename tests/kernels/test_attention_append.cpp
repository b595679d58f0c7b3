// GPU tier: appending tokens to a CQ KV cache (nearest-entry quantization on the device), then
// attending over it, against the fp64 reference; earlier codes must stay untouched.
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention_decode.hpp"
#include "kernels/device_tensor.hpp"
#include "kernels/kv_append.hpp"
#include "tests/kernels/attention_test_util.hpp"
#include "tests/kernels/gpu_skip.hpp"

namespace vqt {
namespace {

// Squared distance of x[g*v ..) to entry e of the plain codebook of (h, g), fp64.
double dist2(const std::vector<double>& x, const std::vector<float>& cb, int h, int g, int e,
             int groups, int v) {
  double d = 0;
  for (int j = 0; j < v; ++j) {
    const double diff = x[std::size_t(g * v + j)] -
                        double(cb[std::size_t(((h * groups + g) * kCqEntries + e) * v + j)]);
    d += diff * diff;
  }
  return d;
}

void append_then_attend(int vec_size) {
  std::mt19937 rng(std::random_device{}());
  const int batch = 2, q_heads = 8, kv_heads = 4, d = 128, groups = d / vec_size;
  const std::int64_t t0 = 15, capacity = 48;  // appends at 15 and 16: across a 16-token tile
  testing::PlainCq kc = testing::random_cq(batch, kv_heads, t0, groups, vec_size, 1.0f, rng);
  testing::PlainCq vc = testing::random_cq(batch, kv_heads, t0, groups, vec_size, 1.0f, rng);
  DeviceBuffer<std::uint8_t> dkc(
      pack_cq_codes(kc.codes.data(), batch, kv_heads, t0, groups, capacity, 0xAB));
  DeviceBuffer<std::uint8_t> dvc(
      pack_cq_codes(vc.codes.data(), batch, kv_heads, t0, groups, capacity, 0xAB));
  DeviceBuffer<std::uint16_t> dkb(
      pack_cq_codebooks(kc.codebooks.data(), kv_heads, groups, vec_size));
  DeviceBuffer<std::uint16_t> dvb(
      pack_cq_codebooks(vc.codebooks.data(), kv_heads, groups, vec_size));
  const CqKvView kv{dkc.get(), dvc.get(), dkb.get(), dvb.get()};
  AttentionShape s;
  s.batch = batch;
  s.q_heads = q_heads;
  s.kv_heads = kv_heads;
  s.head_dim = d;
  s.capacity = capacity;
  s.format = KvFormat::cq;
  s.vec_size = vec_size;

  for (std::int64_t pos = t0; pos < t0 + 2; ++pos) {
    const auto kn = testing::random_half(std::size_t(batch * kv_heads * d), 1.0f, rng);
    const auto vn = testing::random_half(std::size_t(batch * kv_heads * d), 1.0f, rng);
    DeviceBuffer<std::uint16_t> dkn(kn), dvn(vn);
    ASSERT_EQ(kv_append_cq(s, pos, dkn.get(), dvn.get(), dkc.get(), dvc.get(), kv, nullptr),
              cudaSuccess);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    const auto kcodes =
        unpack_cq_codes(dkc.download().data(), batch, kv_heads, pos + 1, groups, capacity);
    const auto vcodes =
        unpack_cq_codes(dvc.download().data(), batch, kv_heads, pos + 1, groups, capacity);
    // Earlier tokens untouched; the new one got a nearest entry.
    for (int keys = 0; keys < 2; ++keys) {
      const auto& got = keys ? kcodes : vcodes;
      const auto& plain = keys ? kc : vc;
      const auto x = testing::to_double(keys ? kn : vn);
      for (int b = 0; b < batch; ++b)
        for (int h = 0; h < kv_heads; ++h) {
          const std::size_t seq = std::size_t(b * kv_heads + h);
          for (std::int64_t t = 0; t < pos; ++t)
            for (int g = 0; g < groups; ++g)
              ASSERT_EQ(got[(seq * std::size_t(pos + 1) + std::size_t(t)) * groups + g],
                        plain.codes[(seq * std::size_t(pos) + std::size_t(t)) * groups + g])
                  << "token " << t << " changed by the append at " << pos;
          const std::vector<double> xs(x.begin() + std::ptrdiff_t(seq * d),
                                       x.begin() + std::ptrdiff_t(seq * d + d));
          for (int g = 0; g < groups; ++g) {
            double best = INFINITY;
            for (int e = 0; e < kCqEntries; ++e)
              best = std::min(best, dist2(xs, plain.codebooks, h, g, e, groups, vec_size));
            const int chosen = got[(seq * std::size_t(pos + 1) + std::size_t(pos)) * groups + g];
            EXPECT_LE(dist2(xs, plain.codebooks, h, g, chosen, groups, vec_size),
                      best + 1e-5 * (1.0 + best))
                << (keys ? "K" : "V") << " b" << b << " h" << h << " g" << g;
          }
        }
      (keys ? kc : vc).codes = got;  // the cache now holds pos + 1 tokens
    }
    // Attend over pos + 1 tokens.
    s.context = pos + 1;
    AttentionParams p;
    p.threads = 256;
    p.tokens_per_split = 16;
    const auto q = testing::random_half(std::size_t(batch * q_heads * d), 2.0f, rng);
    DeviceBuffer<std::uint16_t> dq(q), dout(q.size());
    DeviceBuffer<unsigned char> ws(attention_workspace_bytes(s, p));
    dout.fill_bytes(0xFF);
    ASSERT_EQ(attention_decode_cq(s, p, dq.get(), kv, dout.get(), ws.get(), ws.bytes(), nullptr),
              cudaSuccess);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    const auto kd = testing::dequantize_cq(kc, batch, kv_heads, pos + 1, groups, vec_size);
    const auto vd = testing::dequantize_cq(vc, batch, kv_heads, pos + 1, groups, vec_size);
    const auto ref = testing::reference_decode(testing::to_double(q), kd, vd, batch, q_heads,
                                               kv_heads, d, pos + 1, pos + 1);
    const auto out = dout.download();
    double err2 = 0, ref2 = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      const double g = half_bits_to_float(out[i]);
      ASSERT_TRUE(std::isfinite(g)) << i;
      err2 += (g - ref[i]) * (g - ref[i]);
      ref2 += ref[i] * ref[i];
    }
    EXPECT_LT(std::sqrt(err2 / ref2), 2e-3) << "after the append at " << pos;
  }
}

TEST(AttentionAppendGpu, Cq4AppendThenAttend) {
  VQT_SKIP_WITHOUT_GPU();
  append_then_attend(2);
}

TEST(AttentionAppendGpu, Cq2AppendThenAttend) {
  VQT_SKIP_WITHOUT_GPU();
  append_then_attend(4);
}

TEST(AttentionAppendGpu, RefusesPositionsPastTheCapacity) {
  VQT_SKIP_WITHOUT_GPU();
  AttentionShape s;
  s.format = KvFormat::cq;
  s.vec_size = 2;
  s.capacity = 32;
  DeviceBuffer<std::uint8_t> c(16);
  EXPECT_EQ(kv_append_cq(s, 32, nullptr, nullptr, c.get(), c.get(), CqKvView{}, nullptr),
            cudaErrorInvalidValue);
}

}  // namespace
}  // namespace vqt
