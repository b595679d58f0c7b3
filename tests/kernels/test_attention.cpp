// GPU tier: decode attention (fp16 and CQ caches, token-split) against the fp64 reference on fresh
// random data with poisoned outputs, over formats x batch x GQA x contexts (not multiples of the
// tile) x launch parameters. Skips without a device.
#include <gtest/gtest.h>

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention_decode.hpp"
#include "kernels/device_tensor.hpp"
#include "tests/kernels/attention_test_util.hpp"
#include "tests/kernels/gpu_skip.hpp"

namespace vqt {
namespace {

using testing::PlainCq;

struct Case {
  KvFormat format;
  int vec_size;  // cq: 2 or 4
  int head_dim;
  int batch, q_heads, kv_heads;
  std::int64_t context;
};

std::string name_of(const Case& c, const AttentionParams& p) {
  return std::string(c.format == KvFormat::fp16 ? "fp16"
                     : c.vec_size == 2          ? "cq-4"
                                                : "cq-2") +
         " d" + std::to_string(c.head_dim) + " b" + std::to_string(c.batch) + " q" +
         std::to_string(c.q_heads) + "/kv" + std::to_string(c.kv_heads) + " ctx" +
         std::to_string(c.context) + " " + p.key();
}

// Compares fp16 device output against the fp64 reference; every element must be written.
void expect_close(const std::vector<std::uint16_t>& got, const std::vector<double>& ref,
                  const std::string& what) {
  ASSERT_EQ(got.size(), ref.size());
  double err2 = 0, ref2 = 0, max_ref = 0, max_err = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double g = half_bits_to_float(got[i]);
    ASSERT_TRUE(std::isfinite(g)) << what << ": element " << i << " not written / not finite";
    err2 += (g - ref[i]) * (g - ref[i]);
    ref2 += ref[i] * ref[i];
    max_ref = std::max(max_ref, std::abs(ref[i]));
    max_err = std::max(max_err, std::abs(g - ref[i]));
  }
  EXPECT_LT(std::sqrt(err2 / ref2), 2e-3) << what;
  EXPECT_LT(max_err, 4e-3 * max_ref) << what;
}

void run_case(const Case& c, const AttentionParams& p, std::mt19937& rng) {
  AttentionShape s;
  s.batch = c.batch;
  s.q_heads = c.q_heads;
  s.kv_heads = c.kv_heads;
  s.head_dim = c.head_dim;
  s.context = c.context;
  s.capacity = (c.context + 16 + 15) / 16 * 16;  // slack past the context, poisoned below
  s.format = c.format;
  s.vec_size = c.vec_size;
  const std::string what = name_of(c, p);
  const AttentionSupport ok = can_implement_attention(s, p);
  ASSERT_TRUE(ok.ok) << what << ": " << ok.reason;

  const int d = c.head_dim;
  const auto q = testing::random_half(std::size_t(c.batch) * c.q_heads * d, 2.0f, rng);
  DeviceBuffer<std::uint16_t> dq(q), dout(std::size_t(c.batch) * c.q_heads * d);
  DeviceBuffer<unsigned char> ws(attention_workspace_bytes(s, p));
  ws.fill_bytes(0xFF);
  dout.fill_bytes(0xFF);
  std::vector<double> ref;
  if (c.format == KvFormat::fp16) {
    const std::size_t n = std::size_t(c.batch) * c.kv_heads * std::size_t(s.capacity) * d;
    auto k = testing::random_half(n, 1.0f, rng);
    auto v = testing::random_half(n, 1.0f, rng);
    // Poison the slots past the context: they must not be read into the result.
    for (int bh = 0; bh < c.batch * c.kv_heads; ++bh)
      for (std::int64_t t = c.context; t < s.capacity; ++t)
        for (int ch = 0; ch < d; ++ch) {
          const std::size_t i =
              (std::size_t(bh) * std::size_t(s.capacity) + std::size_t(t)) * d + ch;
          k[i] = 0x7C00;  // +inf
          v[i] = 0x7E00;  // NaN
        }
    DeviceBuffer<std::uint16_t> dk(k), dv(v);
    ref = testing::reference_decode(testing::to_double(q), testing::to_double(k),
                                    testing::to_double(v), c.batch, c.q_heads, c.kv_heads, d,
                                    c.context, s.capacity);
    ASSERT_EQ(attention_decode_fp16(s, p, dq.get(), dk.get(), dv.get(), dout.get(), ws.get(),
                                    ws.bytes(), nullptr),
              cudaSuccess)
        << what;
  } else {
    const int groups = d / c.vec_size;
    const PlainCq kc =
        testing::random_cq(c.batch, c.kv_heads, c.context, groups, c.vec_size, 1.0f, rng);
    const PlainCq vc =
        testing::random_cq(c.batch, c.kv_heads, c.context, groups, c.vec_size, 1.0f, rng);
    std::uniform_int_distribution<int> byte(0, 255);
    const auto fill = std::uint8_t(byte(rng));
    DeviceBuffer<std::uint8_t> dkc(
        pack_cq_codes(kc.codes.data(), c.batch, c.kv_heads, c.context, groups, s.capacity, fill));
    DeviceBuffer<std::uint8_t> dvc(
        pack_cq_codes(vc.codes.data(), c.batch, c.kv_heads, c.context, groups, s.capacity, fill));
    DeviceBuffer<std::uint16_t> dkb(
        pack_cq_codebooks(kc.codebooks.data(), c.kv_heads, groups, c.vec_size));
    DeviceBuffer<std::uint16_t> dvb(
        pack_cq_codebooks(vc.codebooks.data(), c.kv_heads, groups, c.vec_size));
    const auto kd = testing::dequantize_cq(kc, c.batch, c.kv_heads, c.context, groups, c.vec_size);
    const auto vd = testing::dequantize_cq(vc, c.batch, c.kv_heads, c.context, groups, c.vec_size);
    ref = testing::reference_decode(testing::to_double(q), kd, vd, c.batch, c.q_heads, c.kv_heads,
                                    d, c.context, c.context);
    CqKvView kv{dkc.get(), dvc.get(), dkb.get(), dvb.get()};
    ASSERT_EQ(attention_decode_cq(s, p, dq.get(), kv, dout.get(), ws.get(), ws.bytes(), nullptr),
              cudaSuccess)
        << what;
  }
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess) << what;
  expect_close(dout.download(), ref, what);
}

std::vector<AttentionParams> params_for(const Case& c) {
  std::vector<AttentionParams> ps;
  for (int threads : {256, 512})
    for (int per : {16, 48, 1024}) {
      AttentionParams p;
      p.threads = threads;
      p.tokens_per_split = per;
      ps.push_back(p);
    }
  AttentionShape s;
  s.batch = c.batch;
  s.q_heads = c.q_heads;
  s.context = c.context;
  s.format = c.format;
  ps.push_back(default_attention_params(s, 132));
  return ps;
}

// VQT_TEST_QUICK=1 (set for the compute-sanitizer runs) keeps two contexts and one batch.
bool quick() {
  const char* e = std::getenv("VQT_TEST_QUICK");
  return e && *e == '1';
}

void run_sweep(KvFormat format, int vec_size, int head_dim) {
  std::mt19937 rng(std::random_device{}());
  const std::vector<int> batches = quick() ? std::vector<int>{3} : std::vector<int>{1, 3};
  const std::vector<std::int64_t> contexts =
      quick() ? std::vector<std::int64_t>{37, 1000} : std::vector<std::int64_t>{1, 37, 1000, 4097};
  for (int batch : batches)
    for (auto heads : {std::pair<int, int>{4, 4}, {8, 2}})
      for (std::int64_t ctx : contexts) {
        const Case c{format, vec_size, head_dim, batch, heads.first, heads.second, ctx};
        for (const auto& p : params_for(c)) {
          run_case(c, p, rng);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
}

TEST(AttentionGpu, Fp16Head128) {
  VQT_SKIP_WITHOUT_GPU();
  run_sweep(KvFormat::fp16, 0, 128);
}

TEST(AttentionGpu, Fp16Head64) {
  VQT_SKIP_WITHOUT_GPU();
  run_sweep(KvFormat::fp16, 0, 64);
}

TEST(AttentionGpu, Cq4) {
  VQT_SKIP_WITHOUT_GPU();
  run_sweep(KvFormat::cq, 2, 128);
}

TEST(AttentionGpu, Cq2) {
  VQT_SKIP_WITHOUT_GPU();
  run_sweep(KvFormat::cq, 4, 128);
}

// Llama-3-style grouped-query heads (32 q / 8 kv), default launch parameters.
TEST(AttentionGpu, GroupedQuery32x8) {
  VQT_SKIP_WITHOUT_GPU();
  std::mt19937 rng(std::random_device{}());
  for (KvFormat f : {KvFormat::fp16, KvFormat::cq})
    for (int v : {2, 4}) {
      if (f == KvFormat::fp16 && v == 4) continue;
      const Case c{f, v, 128, 2, 32, 8, 4097};
      AttentionShape s;
      s.batch = c.batch;
      s.q_heads = c.q_heads;
      s.context = c.context;
      s.format = f;
      run_case(c, default_attention_params(s, 132), rng);
    }
}

TEST(AttentionGpu, LaunchRefusesWhatCanImplementRefuses) {
  VQT_SKIP_WITHOUT_GPU();
  AttentionShape s;
  s.format = KvFormat::cq;
  s.vec_size = 2;
  s.head_dim = 64;  // CQ kernels need 128
  s.context = 16;
  s.capacity = 16;
  AttentionParams p;
  EXPECT_FALSE(can_implement_attention(s, p).ok);
  EXPECT_EQ(attention_decode_cq(s, p, nullptr, CqKvView{}, nullptr, nullptr, 0, nullptr),
            cudaErrorInvalidValue);
  s.head_dim = 128;
  s.context = 4096;
  s.capacity = 4096;
  p.tokens_per_split = 16;  // 256 splits need a workspace
  EXPECT_EQ(attention_decode_cq(s, p, nullptr, CqKvView{}, nullptr, nullptr, 0, nullptr),
            cudaErrorInvalidValue);
}

}  // namespace
}  // namespace vqt
