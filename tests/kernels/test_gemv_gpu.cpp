// GPU tier: the fused VQ GEMV against the fp64 CPU reference for every preset x codebook tier x
// batch, fresh random data per case, outputs poisoned (0xFFFF = NaN) before each run; the
// baselines (dequantize, cuBLAS) against the same reference; refusals of the launcher.
#include <gtest/gtest.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>
#include <vector>

#include "kernels/device_tensor.hpp"
#include "kernels/gemv_baselines.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "model/detail/gemv_model.hpp"
#include "tests/kernels/gemv_test_util.hpp"
#include "tests/kernels/gpu_skip.hpp"
#include "vq/reference.hpp"

namespace vqt {
namespace {

constexpr double kMaxRelError = 2e-3;

struct Placement {
  const char* name;
  GemvParams params;  // n_smem < 0: all stored entries (clamped to fit)
};

GemvParams make(int n_reg, int n_smem, int copies, bool bypass, int split_k, int warps) {
  GemvParams p;
  p.n_reg = n_reg;
  p.n_smem = n_smem;
  p.smem_copies = copies;
  p.l1_bypass = bypass;
  p.split_k = split_k;
  p.warps = warps;
  return p;
}

const std::vector<Placement>& placements() {
  static const std::vector<Placement> list = {
      {"global", make(0, 0, 1, false, 1, 4)},
      {"global_bypass_split3", make(0, 0, 1, true, 3, 2)},
      {"smem_all", make(0, -1, 1, false, 1, 4)},
      {"reg_smem_global", make(2, -4, 2, false, 2, 4)},  // -4: a quarter of the entries in smem
      {"copies8_split2", make(0, -1, 8, false, 2, 1)},
      {"reg4_bypass_warps8", make(4, -2, 4, true, 1, 8)},
  };
  return list;
}

struct Case {
  const char* vq;
  std::int64_t rows, cols;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> list = {
      {"quip#-4", 200, 512},  {"aqlm-3", 200, 512},    {"gptvq-2", 512, 512},
      {"aqlm-2x8", 136, 384}, {"aqlm-1x16", 120, 768}, {"vq:2,8,1", 200, 256},
      {"vq:4,10,1", 72, 384}, {"vq:8,14,2", 96, 384},  {"vq:2,12,2", 64, 128},
      {"vq:4,16,2", 40, 256},
  };
  return list;
}

// Resolves the n_smem conventions of placements() for a format and clamps to the device's smem.
GemvParams resolve(GemvParams p, const GemvFormat& f, const GemvDevice& d) {
  const int stored = f.stored_entries();
  if (p.n_smem < 0) p.n_smem = stored / -p.n_smem;
  while (p.n_smem > 0 && gemv_smem_bytes(f, p) > d.smem_per_block_optin_bytes) p.n_smem /= 2;
  if (p.n_reg > p.n_smem) p.n_reg = p.n_smem;
  const std::int64_t chunks = f.cols / gemv_geometry(f.vec_size, f.residuals).chunk_k;
  if (p.split_k > chunks) p.split_k = int(chunks);
  if (f.tile_rows > 0) {
    while (f.tile_rows % (16 * p.warps) != 0) p.warps /= 2;
    if (p.split_k > f.cols / f.tile_cols) p.split_k = int(f.cols / f.tile_cols);
  }
  return p;
}

struct DeviceMatrix {
  GemvHostPack pack;
  DeviceBuffer<std::uint8_t> lo, hi;
  DeviceBuffer<std::uint16_t> cb;
  explicit DeviceMatrix(const VqTensor& w)
      : pack(pack_for_gemv(w)), lo(pack.lo), hi(pack.hi), cb(pack.codebooks) {}
  VqGemvArgs args() const {
    VqGemvArgs a;
    a.format = pack.format;
    a.codes_lo = lo.get();
    a.codes_hi = pack.hi.empty() ? nullptr : hi.get();
    a.codebooks = cb.get();
    return a;
  }
};

class GemvPreset : public ::testing::TestWithParam<Case> {};

TEST_P(GemvPreset, EveryTierAndBatchMatchesReference) {
  VQT_SKIP_WITHOUT_GPU();
  const Case c = GetParam();
  const VqConfig cfg = parse_vq(c.vq);
  const GemvDevice dev = gemv_device(0);
  std::uint64_t seed = 1000;
  for (const Placement& pl : placements()) {
    ++seed;
    const VqTensor w = test::skewed_tensor(cfg, c.rows, c.cols, seed);
    std::vector<float> xf;
    std::vector<std::uint16_t> xh;
    test::random_x(kGemvMaxBatch * c.cols, seed + 7, xf, xh);
    const std::vector<double> ref = reference_gemm(w, xf.data(), kGemvMaxBatch);
    DeviceMatrix m(w);
    const GemvParams p = resolve(pl.params, m.pack.format, dev);
    DeviceBuffer<std::uint16_t> x(xh), y(std::size_t(kGemvMaxBatch * c.rows));
    DeviceBuffer<std::uint8_t> ws(gemv_workspace_bytes(m.pack.format));
    ws.fill_bytes(0);
    for (int batch : {1, 2, 5, 8, 9, 16}) {
      SCOPED_TRACE(std::string(c.vq) + " " + pl.name + " " + p.key() +
                   " batch=" + std::to_string(batch));
      ASSERT_EQ(can_implement(m.pack.format, batch, p, dev), "");
      y.fill_bytes(0xFF);  // NaN poison
      VqGemvArgs a = m.args();
      a.x = x.get();
      a.y = y.get();
      a.batch = batch;
      a.workspace = ws.get();
      a.workspace_bytes = ws.bytes();
      ASSERT_EQ(vq_gemv(a, p, nullptr), cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      const auto out = y.download();
      // Output [batch][rows] against the reference [16][rows]: the first batch rows.
      const double err = test::rel_error(out, ref, std::size_t(batch * c.rows));
      EXPECT_LT(err, kMaxRelError);
      // Rows past the batch stay poisoned (nothing written out of bounds).
      if (batch < kGemvMaxBatch) {
        EXPECT_EQ(out[std::size_t(batch * c.rows)], 0xFFFF);
      }
    }
    // The split-k workspace is left zeroed for the next call.
    for (auto b : ws.download()) ASSERT_EQ(b, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, GemvPreset, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& pi) {
                           std::string s = pi.param.vq;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

TEST(GemvBaselines, DequantizeAndCublasMatchReference) {
  VQT_SKIP_WITHOUT_GPU();
  cublasHandle_t h;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  std::uint64_t seed = 77;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.vq);
    const VqTensor w = test::skewed_tensor(parse_vq(c.vq), c.rows, c.cols, ++seed);
    DeviceMatrix m(w);
    DeviceBuffer<std::uint16_t> wd(std::size_t(c.rows * c.cols));
    wd.fill_bytes(0xFF);
    ASSERT_EQ(vq_dequantize_fp16(m.args(), wd.get(), nullptr), cudaSuccess);
    const auto got = wd.download();
    const auto want = dequantize(w);
    double num = 0, den = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double d = double(half_bits_to_float(got[i])) - want[i];
      num += d * d;
      den += double(want[i]) * want[i];
    }
    EXPECT_LT(std::sqrt(num / den), kMaxRelError);
    for (int batch : {1, 16}) {
      std::vector<float> xf;
      std::vector<std::uint16_t> xh;
      test::random_x(batch * c.cols, ++seed, xf, xh);
      const auto ref = reference_gemm(w, xf.data(), batch);
      DeviceBuffer<std::uint16_t> x(xh), y(std::size_t(batch * c.rows));
      y.fill_bytes(0xFF);
      ASSERT_EQ(cublas_gemv_fp16(h, wd.get(), x.get(), y.get(), c.rows, c.cols, batch, nullptr),
                cudaSuccess);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      EXPECT_LT(test::rel_error(y.download(), ref, std::size_t(batch * c.rows)), kMaxRelError);
    }
  }
  cublasDestroy(h);
}

TEST(GemvLauncher, RefusesWhatCanImplementRefuses) {
  VQT_SKIP_WITHOUT_GPU();
  const VqTensor w = test::skewed_tensor(parse_vq("aqlm-3"), 64, 256, 5);
  DeviceMatrix m(w);
  DeviceBuffer<std::uint16_t> x(std::size_t(17 * 256)), y(std::size_t(17 * 64));
  VqGemvArgs a = m.args();
  a.x = x.get();
  a.y = y.get();
  a.batch = 17;
  EXPECT_EQ(vq_gemv(a, GemvParams{}, nullptr), cudaErrorInvalidValue);
  a.batch = 1;
  GemvParams split;
  split.split_k = 2;  // needs the workspace
  EXPECT_EQ(vq_gemv(a, split, nullptr), cudaErrorInvalidValue);
  GemvParams bad;
  bad.smem_copies = 3;
  EXPECT_EQ(vq_gemv(a, bad, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(vq_gemv(a, GemvParams{}, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

// The cost model's register table (occupancy) is what ptxas gave every instance.
TEST(GemvInstances, RegistersMatchTheModelTable) {
  VQT_SKIP_WITHOUT_GPU();
  const CodebookTier tiers[3] = {CodebookTier::global_only, CodebookTier::smem,
                                 CodebookTier::reg_smem};
  int checked = 0;
  for (int v : {2, 4, 8})
    for (int r : {1, 2})
      for (int bits : {8, 12, 16})
        for (int lattice : {0, 256}) {
          if (lattice > 0 && (v != 8 || r != 2 || bits != 16)) continue;
          GemvFormat f;
          f.vec_size = v;
          f.residuals = r;
          f.index_bits = bits;
          f.lattice_entries = lattice;
          for (int tier = 0; tier < 3; ++tier) {
            const int regs = gemv_kernel_registers(f, tiers[tier]);
            ASSERT_GT(regs, 0) << "v" << v << " r" << r << " b" << bits << " tier " << tier;
            EXPECT_EQ(regs, detail::gemv_kernel_regs(v, r, bits, lattice > 0, tier))
                << "v" << v << " r" << r << " b" << bits << (lattice ? " lattice" : "") << " tier "
                << tier;
            ++checked;
          }
        }
  EXPECT_EQ(checked, 57);
}

}  // namespace
}  // namespace vqt
