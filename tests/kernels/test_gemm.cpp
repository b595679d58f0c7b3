// GPU tier: the VQ GEMM (fused_regs and unfused) against the fp64 CPU reference (reference_gemm)
// for the weight presets x token counts (not multiples of the token tile too) x launch
// parameters, fresh random data per case, outputs poisoned (0xFFFF = NaN) before each run.
#include <gtest/gtest.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/device_tensor.hpp"
#include "kernels/gemm_vq.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "tests/kernels/gemv_test_util.hpp"
#include "tests/kernels/gpu_skip.hpp"
#include "vq/reference.hpp"

namespace vqt {
namespace {

constexpr double kMaxRelError = 2e-3;

GemmParams fused(int warps, int tile_m, int split_k, bool smem, int k_groups = 1) {
  GemmParams p;
  p.k_groups = k_groups;
  p.strategy = GemmStrategy::fused_regs;
  p.warps = warps;
  p.tile_m = tile_m;
  p.split_k = split_k;
  p.codebook_smem = smem;
  return p;
}

struct Case {
  const char* vq;
  std::int64_t rows, cols;
};

class GemmPreset : public ::testing::TestWithParam<Case> {};

TEST_P(GemmPreset, FusedAndUnfusedMatchReference) {
  VQT_SKIP_WITHOUT_GPU();
  const Case c = GetParam();
  cublasHandle_t h = nullptr;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  const GemvDevice dev = gemv_device(0);
  std::uint64_t seed = std::random_device{}();
  const VqTensor w = test::skewed_tensor(parse_vq(c.vq), c.rows, c.cols, ++seed);
  const GemvHostPack pack = pack_for_gemv(w);
  DeviceBuffer<std::uint8_t> lo(pack.lo), hi(pack.hi);
  DeviceBuffer<std::uint16_t> cb(pack.codebooks);
  std::vector<GemmParams> params;
  GemmParams unfused;
  unfused.strategy = GemmStrategy::unfused;
  params.push_back(unfused);
  for (bool smem : {true, false})
    for (int warps : {4, 8})
      for (int tile_m : {32, 64})
        for (int split_k : {1, 3})
          for (int kg : {1, 2, 4}) params.push_back(fused(warps, tile_m, split_k, smem, kg));
  GemmParams copies = fused(8, 32, 2, true, 1);
  copies.smem_copies = 8;
  params.push_back(copies);
  int ran_fused = 0;
  for (std::int64_t m : {32, 37, 64, 100}) {
    std::vector<float> xf;
    std::vector<std::uint16_t> xh;
    test::random_x(m * c.cols, ++seed, xf, xh);
    const std::vector<double> ref = reference_gemm(w, xf.data(), m);
    DeviceBuffer<std::uint16_t> x(xh), y(std::size_t(m * c.rows));
    for (const GemmParams& p : params) {
      const std::string why = can_implement_gemm(pack.format, m, p, dev);
      if (!why.empty()) continue;  // refusals are checked in test_gemm_params
      ran_fused += p.strategy == GemmStrategy::fused_regs;
      DeviceBuffer<std::uint8_t> ws(gemm_workspace_bytes(pack.format, m, p));
      ws.fill_bytes(0xFF);  // poisoned partials; the split-k counters start at zero
      if (p.strategy == GemmStrategy::fused_regs && p.split_k > 1) {
        const std::size_t off = gemm_counters_offset(pack.format, m, p);
        ASSERT_EQ(cudaMemset(ws.get() + off, 0, ws.bytes() - off), cudaSuccess);
      }
      y.fill_bytes(0xFF);
      VqGemmArgs a;
      a.format = pack.format;
      a.codes_lo = lo.get();
      a.codes_hi = pack.hi.empty() ? nullptr : hi.get();
      a.codebooks = cb.get();
      a.x = x.get();
      a.y = y.get();
      a.m = m;
      a.workspace = ws.get();
      a.workspace_bytes = ws.bytes();
      a.cublas = h;
      for (int rep = 0; rep < 2; ++rep) {  // the second call relies on re-armed counters
        y.fill_bytes(0xFF);
        ASSERT_EQ(vq_gemm(a, p, nullptr), cudaSuccess) << c.vq << " m" << m << " " << p.key();
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        EXPECT_LT(test::rel_error(y.download(), ref, std::size_t(m * c.rows)), kMaxRelError)
            << c.vq << " m" << m << " " << p.key() << " call " << rep;
      }
    }
  }
  EXPECT_GT(ran_fused, 0) << c.vq << ": no fused instance ran";
  cublasDestroy(h);
}

INSTANTIATE_TEST_SUITE_P(Presets, GemmPreset,
                         ::testing::Values(Case{"quip#-4", 256, 512}, Case{"aqlm-3", 256, 512},
                                           Case{"gptvq-2", 512, 768}, Case{"aqlm-2x8", 128, 512},
                                           Case{"aqlm-1x16", 128, 256}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           std::string n = i.param.vq;
                           for (auto& ch : n)
                             if (ch == '#' || ch == '-') ch = '_';
                           return n;
                         });

TEST(GemmGpu, LaunchRefusesWhatCanImplementRefuses) {
  VQT_SKIP_WITHOUT_GPU();
  const VqTensor w = test::skewed_tensor(parse_vq("aqlm-3"), 64, 256, 5);
  const GemvHostPack pack = pack_for_gemv(w);
  DeviceBuffer<std::uint8_t> lo(pack.lo), hi(pack.hi);
  DeviceBuffer<std::uint16_t> cb(pack.codebooks), x(std::size_t(40 * 256)), y(std::size_t(40 * 64));
  VqGemmArgs a;
  a.format = pack.format;
  a.codes_lo = lo.get();
  a.codes_hi = hi.get();
  a.codebooks = cb.get();
  a.x = x.get();
  a.y = y.get();
  a.m = 40;
  EXPECT_EQ(vq_gemm(a, fused(6, 64, 1, true), nullptr), cudaErrorInvalidValue);  // warps
  EXPECT_EQ(vq_gemm(a, fused(4, 64, 2, true), nullptr), cudaErrorInvalidValue);  // no workspace
  GemmParams u;
  u.strategy = GemmStrategy::unfused;
  EXPECT_EQ(vq_gemm(a, u, nullptr), cudaErrorInvalidValue);  // no workspace, no cuBLAS handle
}

}  // namespace
}  // namespace vqt
