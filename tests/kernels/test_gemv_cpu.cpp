// CPU tier for the VQ GEMV host side: can_implement refusals (one test per rule, each with its
// reason), the Candidate mapping, and the device layout packer (unpacked again on the CPU and
// compared with the reference dequantization).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "kernels/gemv_candidate.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "tests/kernels/gemv_test_util.hpp"
#include "vq/error.hpp"
#include "vq/reference.hpp"

namespace vqt {
namespace {

GemvFormat fmt(const char* vq, std::int64_t rows, std::int64_t cols) {
  VqTensor t;
  t.config = parse_vq(vq);
  t.rows = rows;
  t.cols = cols;
  return gemv_format_of(t);
}

bool refused_with(const GemvFormat& f, int batch, const GemvParams& p, const std::string& word,
                  GemvDevice d = {}) {
  const std::string why = can_implement(f, batch, p, d);
  return !why.empty() && why.find(word) != std::string::npos;
}

TEST(GemvCanImplement, AcceptsThePresetsOnLlamaShapes) {
  for (const char* vq : {"quip#-4", "aqlm-3", "gptvq-2", "aqlm-2x8", "aqlm-1x16"})
    for (auto [n, k] : {std::pair<int, int>{4096, 4096},
                        {11008, 4096},
                        {4096, 11008},
                        {8192, 8192},
                        {22016, 8192},
                        {8192, 22016}})
      for (int batch : {1, 16}) EXPECT_EQ(can_implement(fmt(vq, n, k), batch, {}, {}), "") << vq;
}

TEST(GemvCanImplement, RefusesColsOffTheChunk) {
  EXPECT_TRUE(refused_with(fmt("aqlm-3", 64, 4096 + 64), 1, {}, "multiple of 128"));
}
TEST(GemvCanImplement, RefusesBatchOutsideRange) {
  EXPECT_TRUE(refused_with(fmt("aqlm-3", 64, 256), 17, {}, "batch"));
  EXPECT_TRUE(refused_with(fmt("aqlm-3", 64, 256), 0, {}, "batch"));
}
TEST(GemvCanImplement, RefusesOtherArchitectures) {
  GemvDevice ampere;
  ampere.cc_major = 8;
  EXPECT_TRUE(refused_with(fmt("aqlm-3", 64, 256), 1, {}, "sm_90a", ampere));
}
TEST(GemvCanImplement, RefusesUnsupportedFormats) {
  GemvFormat f = fmt("aqlm-3", 64, 256);
  f.vec_size = 16;
  EXPECT_TRUE(refused_with(f, 1, {}, "vector size"));
  f = fmt("aqlm-3", 64, 256);
  f.index_bits = 7;
  EXPECT_TRUE(refused_with(f, 1, {}, "index bits"));
  f = fmt("aqlm-3", 64, 256);
  f.residuals = 3;
  EXPECT_TRUE(refused_with(f, 1, {}, "residual"));
  f = fmt("quip#-4", 64, 256);
  f.residuals = 1;
  EXPECT_TRUE(refused_with(f, 1, {}, "lattice"));
  // And the packer refuses configs the GEMV cannot take.
  VqTensor t;
  t.config = parse_vq("vq:16,8,1");
  t.rows = 16;
  t.cols = 256;
  EXPECT_THROW(gemv_format_of(t), InputError);
  t.config = parse_vq("cq-4");
  EXPECT_THROW(gemv_format_of(t), InputError);
}
TEST(GemvCanImplement, RefusesBadSplitAndWarps) {
  const GemvFormat f = fmt("aqlm-3", 64, 256);  // 2 chunks of 128
  GemvParams p;
  p.split_k = 3;
  EXPECT_TRUE(refused_with(f, 1, p, "split_k"));
  p = {};
  p.warps = 17;
  EXPECT_TRUE(refused_with(f, 1, p, "warps"));
}
TEST(GemvCanImplement, RefusesTilesThatDoNotAlign) {
  GemvFormat f = fmt("gptvq-2", 512, 512);
  GemvParams p;
  p.warps = 12;  // 192 rows do not divide a 256-row tile
  EXPECT_TRUE(refused_with(f, 1, p, "tile height"));
  p = {};
  p.split_k = 3;  // only 2 tile columns
  EXPECT_TRUE(refused_with(f, 1, p, "tile columns"));
  f = fmt("gptvq-2", 500, 512);
  EXPECT_TRUE(refused_with(f, 1, {}, "codebook tiles"));
}
TEST(GemvCanImplement, RefusesBadPlacements) {
  const GemvFormat f = fmt("aqlm-3", 64, 256);
  GemvParams p;
  p.n_smem = 5000;
  EXPECT_TRUE(refused_with(f, 1, p, "n_smem"));
  p = {};
  p.n_smem = 16;
  p.n_reg = 5;
  EXPECT_TRUE(refused_with(f, 1, p, "n_reg"));
  p.n_reg = 2;
  p.n_smem = 1;
  EXPECT_TRUE(refused_with(f, 1, p, "n_reg"));
  p = {};
  p.n_smem = 16;
  p.smem_copies = 3;
  EXPECT_TRUE(refused_with(f, 1, p, "power of two"));
  p.smem_copies = 8;
  p.n_smem = 4096;  // 2 levels x 4096 x 8 copies x 16 B = 1 MiB
  EXPECT_TRUE(refused_with(f, 1, p, "shared memory"));
}

TEST(GemvCandidate, MapsPlacementSplitAndWarps) {
  Candidate c;
  c.n_reg = 2;
  c.n_smem = 512;
  c.smem_copies = 4;
  c.l1_bypass = true;
  c.split_k = 2;
  c.cb_split = 3;
  c.threads = 256;
  const GemvParams p = gemv_params_from(c);
  EXPECT_EQ(p.n_reg, 2);
  EXPECT_EQ(p.n_smem, 512);
  EXPECT_EQ(p.smem_copies, 4);
  EXPECT_TRUE(p.l1_bypass);
  EXPECT_EQ(p.split_k, 6);
  EXPECT_EQ(p.warps, 8);
  EXPECT_EQ(tier_of(p), CodebookTier::reg_smem);
  const Candidate back = candidate_from(p);
  EXPECT_EQ(back.n_smem, 512);
  EXPECT_EQ(back.threads, 256);
  EXPECT_EQ(gemv_params_from(back).split_k, 6);
}

// Decodes the packed layout on the CPU (the kernel's addressing, written independently of the
// packer's loop order) and compares with dequantize().
std::vector<float> unpack_dequantize(const GemvHostPack& p) {
  const GemvFormat& f = p.format;
  const GemvGeometry& g = p.layout.geo;
  std::vector<float> w(std::size_t(f.rows * f.cols), NAN);
  const int stored = f.stored_entries();
  for (std::int64_t row = 0; row < f.rows; ++row)
    for (std::int64_t k = 0; k < f.cols; k += f.vec_size) {
      const std::int64_t rt = row / 16, ch = k / g.chunk_k;
      const int in_tile = int(row % 16), gq = in_tile % 8, rh = in_tile / 8;
      const int kk = int(k % g.chunk_k), s = kk / g.step_k, t = (kk % g.step_k) / g.ep;
      const int cw = (kk % g.ep) / f.vec_size;
      const std::size_t lane = std::size_t((rt * p.layout.chunks + ch) * 32 + gq * 4 + t);
      std::int64_t inst = 0;
      if (f.tile_rows > 0) inst = (row / f.tile_rows) * (f.cols / f.tile_cols) + k / f.tile_cols;
      std::vector<float> sum(std::size_t(f.vec_size), 0.0f);
      for (int l = 0; l < f.residuals; ++l) {
        const int q = ((s * 2 + rh) * g.cw_per_step + cw) * g.r + l;
        std::uint32_t code = p.lo[lane * 16 + std::size_t(q)];
        if (f.hi_bits() == 4)
          code |= std::uint32_t((p.hi[lane * 8 + std::size_t(q / 2)] >> (4 * (q % 2))) & 0xF) << 8;
        if (f.hi_bits() == 8) code |= std::uint32_t(p.hi[lane * 16 + std::size_t(q)]) << 8;
        const std::uint32_t e = f.lattice_entries ? (code & 0xFF) : code;
        for (int j = 0; j < f.vec_size; ++j) {
          float v = half_bits_to_float(
              p.codebooks[std::size_t(((inst * f.residuals + l) * stored + e) * f.vec_size + j)]);
          if (f.lattice_entries && ((code >> (8 + j)) & 1)) v = -v;
          sum[std::size_t(j)] += v;
        }
      }
      for (int j = 0; j < f.vec_size; ++j)
        w[std::size_t(row * f.cols + k + j)] = sum[std::size_t(j)];
    }
  return w;
}

TEST(GemvLayout, PackedCodesDecodeToTheReference) {
  std::uint64_t seed = 3;
  for (auto [vq, rows, cols] : {std::tuple<const char*, int, int>{"quip#-4", 40, 256},
                                {"aqlm-3", 24, 256},
                                {"gptvq-2", 256, 512},
                                {"aqlm-1x16", 16, 512},
                                {"vq:2,12,2", 20, 64},
                                {"vq:4,10,1", 8, 256}}) {
    SCOPED_TRACE(vq);
    const VqTensor t = test::skewed_tensor(parse_vq(vq), rows, cols, ++seed);
    const GemvHostPack p = pack_for_gemv(t);
    EXPECT_EQ(p.lo.size(), p.layout.lo_bytes);
    EXPECT_EQ(p.hi.size(), p.layout.hi_bytes);
    const auto got = unpack_dequantize(p);
    const auto want = dequantize(t);
    ASSERT_EQ(got.size(), want.size());
    double num = 0, den = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_FALSE(std::isnan(got[i])) << i;
      num += double(got[i] - want[i]) * double(got[i] - want[i]);
      den += double(want[i]) * double(want[i]);
    }
    EXPECT_LT(std::sqrt(num / den), 1e-3);  // codebooks rounded to fp16
  }
}

TEST(GemvLayout, TwelveBitCodesCostTwelveBits) {
  const GemvLayout l = gemv_layout(fmt("aqlm-3", 4096, 4096));
  const double code_bytes = double(l.lo_bytes + l.hi_bytes);
  EXPECT_DOUBLE_EQ(code_bytes, 4096.0 * 4096 / 8 * 2 * 1.5);
}

}  // namespace
}  // namespace vqt
