// CPU tier: what the VQ GEMM host API accepts and refuses (with reasons), defaults, workspace and
// shared-memory sizes.
#include <gtest/gtest.h>

#include <string>

#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/gemm_params.hpp"
#include "kernels/vq_device_layout.hpp"
#include "tests/kernels/gemv_test_util.hpp"

namespace vqt {
namespace {

GemvFormat format_of(const char* preset, std::int64_t rows, std::int64_t cols) {
  VqTensor t;
  t.config = parse_vq(preset);
  t.rows = rows;
  t.cols = cols;
  return gemv_format_of(t);
}

TEST(GemmParams, DefaultsRunForTheBenchmarkShapes) {
  const GemvDevice dev;
  for (const char* preset : {"quip#-4", "aqlm-3", "gptvq-2"})
    for (auto shape : {std::pair<int, int>{4096, 4096}, {11008, 4096}, {4096, 11008}})
      for (std::int64_t m : {32, 64, 512, 2048}) {
        const GemvFormat f = format_of(preset, shape.first, shape.second);
        const GemmParams p = default_gemm_params(f, m, dev.sm_count);
        EXPECT_EQ(can_implement_gemm(f, m, p, dev), "") << preset << " m" << m << " " << p.key();
        EXPECT_EQ(p.strategy == GemmStrategy::unfused, m > 256);
      }
}

TEST(GemmParams, RefusesWithAReason) {
  const GemvDevice dev;
  const GemvFormat f = format_of("aqlm-3", 4096, 4096);
  auto refused = [&](const GemvFormat& ff, GemmParams p, const char* word) {
    const std::string why = can_implement_gemm(ff, 64, p, dev);
    EXPECT_NE(why.find(word), std::string::npos) << "'" << why << "' lacks '" << word << "'";
  };
  GemmParams p;
  p.warps = 2;
  refused(f, p, "warps");
  p = GemmParams{};
  p.tile_m = 48;
  refused(f, p, "tile_m");
  p = GemmParams{};
  p.split_k = 1000;
  refused(f, p, "split_k");
  refused(format_of("aqlm-1x16", 4096, 4096), GemmParams{}, "no fused GEMM instance");
  refused(
      format_of("gptvq-2", 4096, 4096),
      [] {
        GemmParams q;
        q.split_k = 17;  // 16 codebook tile columns
        return q;
      }(),
      "split_k");
  GemvDevice old = dev;
  old.cc_major = 7;
  EXPECT_NE(can_implement_gemm(f, 64, GemmParams{}, old), "");
  GemmParams u;
  u.strategy = GemmStrategy::unfused;
  EXPECT_EQ(can_implement_gemm(f, 64, u, old), "");  // cuBLAS path: any device
}

TEST(GemmParams, WorkspaceAndSharedMemory) {
  const GemvFormat f = format_of("quip#-4", 4096, 11008);
  GemmParams p;
  EXPECT_EQ(gemm_workspace_bytes(f, 64, p), 0u);
  p.split_k = 3;
  // partials + one counter per (row block of 128 rows, token tile of 64)
  EXPECT_EQ(gemm_workspace_bytes(f, 64, p), std::size_t(3) * 64 * 4096 * 4 + 32 * 4);
  EXPECT_EQ(gemm_counters_offset(f, 64, p), std::size_t(3) * 64 * 4096 * 4);
  p.strategy = GemmStrategy::unfused;
  EXPECT_EQ(gemm_workspace_bytes(f, 64, p), std::size_t(4096) * 11008 * 2);
  GemmParams q;
  q.tile_m = 64;
  // Two x stages of 64 tokens x (128 + 32) halves, plus 2 levels x 256 rows x 8 halves.
  EXPECT_EQ(gemm_smem_bytes(f, q), std::size_t(2 * 64 * 160 * 2 + 2 * 256 * 8 * 2));
}

TEST(GemmParams, CandidateRoundTrips) {
  GemmParams p;
  p.warps = 4;
  p.tile_m = 32;
  p.k_groups = 2;
  p.split_k = 3;
  p.codebook_smem = false;
  const GemmParams q = gemm_params_from(candidate_from(p));
  EXPECT_EQ(q.key(), p.key());
  p.strategy = GemmStrategy::unfused;
  EXPECT_EQ(gemm_params_from(candidate_from(p)).strategy, GemmStrategy::unfused);
  AttentionParams a;
  a.threads = 256;
  a.tokens_per_split = 4096;
  EXPECT_EQ(attention_params_from(candidate_from(a)).key(), a.key());
}

}  // namespace
}  // namespace vqt
