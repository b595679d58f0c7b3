#include <gtest/gtest.h>

#include <set>

#include "model/gpu_spec.hpp"
#include "vq/error.hpp"

using namespace vqt;

TEST(GpuSpec, TableHasTheRequiredPartsWithSources) {
  const std::set<std::string> need = {"h100-sxm",       "h100-pcie", "h200",        "a100-80gb-sxm",
                                      "a100-40gb-pcie", "l40s",      "a40",         "rtx-4090",
                                      "rtx-3090",       "a10",       "rtx-6000-ada"};
  std::set<std::string> have;
  for (const auto& g : gpu_specs()) {
    have.insert(g.key);
    SCOPED_TRACE(g.key);
    EXPECT_FALSE(g.source.empty());
    EXPECT_GT(g.sm_count, 0);
    EXPECT_GT(g.boost_clock_hz, 1e9);
    EXPECT_GT(g.l2_bytes, 0);
    EXPECT_GT(g.memory_bytes, std::int64_t(16e9));
    EXPECT_LE(g.max_smem_per_block_bytes, g.smem_per_sm_bytes);
    EXPECT_EQ(g.reserved_smem_per_block_bytes, 1024);  // all are cc >= 8.0
    EXPECT_EQ(g.max_warps_per_sm * 32, g.max_threads_per_sm);
    for (Ceiling c : kAllCeilings) EXPECT_GT(g.ceiling(c), 0) << ceiling_name(c);
    // Shared-memory bandwidth is SMs x 128 B/clk x clock.
    EXPECT_DOUBLE_EQ(g.smem_bw_bytes_per_s(), g.sm_count * 128.0 * g.boost_clock_hz);
    // Dense tensor FLOP/s exceed CUDA-core FP32 FLOP/s but not by more than the sparse factor x8.
    EXPECT_GT(g.fp16_tensor_flops_per_s(), g.fp32_flops_per_s());
    EXPECT_EQ(g.ceiling_sources[int(Ceiling::hbm_bw)], FigureSource::datasheet);
    EXPECT_EQ(g.ceiling_sources[int(Ceiling::l2_bw)], FigureSource::estimate);
  }
  for (const auto& k : need) EXPECT_TRUE(have.count(k)) << k;
  const auto& h = find_gpu("h100-sxm");
  EXPECT_EQ(h.sm_count, 132);
  EXPECT_DOUBLE_EQ(h.hbm_bw_bytes_per_s(), 3.35e12);
  EXPECT_EQ(h.smem_per_sm_bytes, 228 * 1024);
  EXPECT_EQ(h.compute_capability(), "9.0");
}

TEST(GpuSpec, FindIsCaseInsensitiveWithAliasesAndListsKeysOnError) {
  EXPECT_EQ(find_gpu("H100").key, "h100-sxm");
  EXPECT_EQ(find_gpu("H100-SXM").key, "h100-sxm");
  EXPECT_EQ(find_gpu("a100").key, "a100-80gb-sxm");
  try {
    find_gpu("v100", "--gpu");
    FAIL() << "no throw";
  } catch (const InputError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("--gpu"), std::string::npos);
    EXPECT_NE(w.find("rtx-6000-ada"), std::string::npos);
  }
}

TEST(GpuSpec, MeasuredCeilingsOverrideAndSayWhereTheyCameFrom) {
  const auto& h = find_gpu("h100-sxm");
  Ceilings m;
  m.set(Ceiling::hbm_bw, 2.9e12);
  m.source = "test";
  const GpuSpec e = effective(h, m);
  EXPECT_DOUBLE_EQ(e.hbm_bw_bytes_per_s(), 2.9e12);
  EXPECT_EQ(e.ceiling_sources[int(Ceiling::hbm_bw)], FigureSource::measured);
  EXPECT_DOUBLE_EQ(e.l2_bw_bytes_per_s(), h.l2_bw_bytes_per_s());
  EXPECT_EQ(e.ceiling_sources[int(Ceiling::l2_bw)], FigureSource::estimate);
  // The table itself is untouched.
  EXPECT_DOUBLE_EQ(find_gpu("h100-sxm").hbm_bw_bytes_per_s(), 3.35e12);
  m.set(Ceiling::fp32, -1);
  EXPECT_THROW(effective(h, m), InputError);
}
