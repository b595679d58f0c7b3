// CPU tier: the fp64 decode-attention loop the GPU attention tests compare against
// (attention_test_util.hpp) agrees with vq/'s reference_attention_decode on a quantized
// synthetic KV cache (cq-4, cq-2, grouped-query heads), and vq's plain code layout round-trips
// through the device packer.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attention_layout.hpp"
#include "tests/kernels/attention_test_util.hpp"
#include "vq/kv_cache.hpp"
#include "vq/reference.hpp"
#include "vq/synthetic.hpp"

namespace vqt {
namespace {

void check(const char* preset) {
  const std::int64_t batch = 2, kv_heads = 2, q_heads = 4, context = 300, d = 128;
  const auto k = synthetic_kv(batch, kv_heads, context, d, true, 11);
  const auto v = synthetic_kv(batch, kv_heads, context, d, false, 12);
  const KvCacheVq kv =
      quantize_kv_cache(parse_vq(preset), k.data(), v.data(), batch, kv_heads, context, d);
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> q(std::size_t(batch * q_heads * d));
  for (auto& x : q) x = u(rng);
  const auto ref = reference_attention_decode(q.data(), q_heads, kv, 1.0 / std::sqrt(double(d)));

  const auto kd = dequantize_kv(kv, true), vd = dequantize_kv(kv, false);
  const std::vector<double> qd(q.begin(), q.end());
  const std::vector<double> kdd(kd.begin(), kd.end()), vdd(vd.begin(), vd.end());
  const auto mine = testing::reference_decode(qd, kdd, vdd, int(batch), int(q_heads), int(kv_heads),
                                              int(d), context, context);
  ASSERT_EQ(mine.size(), ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i)
    ASSERT_NEAR(mine[i], ref[i], 1e-9 * (1.0 + std::abs(ref[i]))) << preset << " element " << i;

  // vq's plain codes are what pack_cq_codes takes.
  const std::int64_t groups = kv.groups();
  const auto plain = kv_codes_u16(kv, true);
  const auto packed = pack_cq_codes(plain.data(), batch, kv_heads, context, groups, 304);
  EXPECT_EQ(unpack_cq_codes(packed.data(), batch, kv_heads, context, groups, 304), plain);
}

TEST(AttentionReference, AgreesWithVqReferenceCq4) {
  check("cq-4");
}
TEST(AttentionReference, AgreesWithVqReferenceCq2) {
  check("cq-2");
}

}  // namespace
}  // namespace vqt
