// The GEMM and CQ decode-attention models (model/detail/gemm_model.hpp, attention_model.hpp):
// their candidate spaces are the kernels' own (kernels/gemm_space.cpp, attention_space.cpp, as
// the H100 data set measured them), every candidate of them is predicted, the register tables,
// and basic monotonicity.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "model/detail/attention_model.hpp"
#include "model/detail/gemm_model.hpp"
#include "model/enumerate.hpp"

using namespace vqt;

namespace {

PreparedProblem gemm(const char* vq, std::int64_t m, std::int64_t n, std::int64_t k) {
  const Problem p = Problem::matmul(Op::gemm, parse_vq(vq), m, n, k);
  return prepare(p, find_gpu("h100-sxm"), ModelCoefficients{},
                 zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf:1");
}

PreparedProblem attention(const char* vq, std::int64_t batch, std::int64_t kv_heads,
                          std::int64_t context) {
  const Problem p = Problem::attention(parse_vq(vq), batch, 32, kv_heads, 128, context);
  return prepare(p, find_gpu("h100-sxm"), ModelCoefficients{},
                 zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf:1");
}

}  // namespace

TEST(GemmModel, TheSpaceIsTheKernelsOwn) {
  // Candidates per preset that kernels/gemm_space.cpp gives (and the H100 data set measured) at
  // llama-7b shapes: unfused + the fused instances' configurations.
  const std::map<std::string, std::size_t> expected{
      {"aqlm-3", 67}, {"aqlm-1x16", 31}, {"gptvq-2", 37}, {"aqlm-2x8", 49}, {"quip#-4", 49}};
  for (const auto& [vq, count] : expected)
    for (std::int64_t m : {128, 512}) {
      const PreparedProblem p = gemm(vq.c_str(), m, 11008, 4096);
      const auto space = enumerate_candidates(p);
      EXPECT_EQ(space.size(), count) << vq;
      std::set<std::string> keys;
      int unfused = 0;
      for (const Candidate& c : space) {
        EXPECT_TRUE(keys.insert(c.key()).second) << "duplicate " << c.key();
        const Prediction r = predict(p, c);
        ASSERT_TRUE(r.valid) << vq << " " << c.key();
        EXPECT_TRUE(std::isfinite(r.time_s) && r.time_s > 0) << c.key();
        if (c.fusion == Fusion::unfused) {
          ++unfused;
          continue;
        }
        const int kg = 16 * (c.threads / 32) / c.tile_n;
        EXPECT_TRUE(kg == 1 || kg == 2 || kg == 4) << c.key();
        EXPECT_TRUE(c.tile_m == 32 || c.tile_m == 64) << c.key();
        EXPECT_TRUE(c.n_smem == 0 || c.n_smem == p.entries) << c.key();
      }
      EXPECT_EQ(unfused, 1) << vq;
    }
}

TEST(GemmModel, AcceptsUnevenSplitK) {
  // k = 11008: 86 chunks of 128 (aqlm-2x8) or 43 codebook tile columns of 256 (gptvq-2): split_k
  // 4 leaves uneven slices, as the kernel runs them.
  for (const char* vq : {"gptvq-2", "aqlm-2x8", "aqlm-3", "quip#-4", "aqlm-1x16"}) {
    const PreparedProblem p = gemm(vq, 128, 4096, 11008);
    int split4 = 0;
    for (const Candidate& c : enumerate_candidates(p)) {
      EXPECT_TRUE(predict(p, c).valid) << vq << " " << c.key();
      if (c.split_k == 4) ++split4;
    }
    EXPECT_GT(split4, 0) << vq;
  }
}

TEST(GemmModel, RefusesWhatTheKernelCannotRun) {
  const PreparedProblem p = gemm("aqlm-2x8", 128, 4096, 4096);
  Candidate c = enumerate_candidates(p).back();
  ASSERT_NE(c.fusion, Fusion::unfused);
  Candidate bad = c;
  bad.tile_m = 128;  // the kernel has NT 4 and 8 only
  EXPECT_FALSE(predict(p, bad).valid);
  bad = c;
  bad.n_smem = 0;  // aqlm-2x8 has no global-codebook instance
  EXPECT_FALSE(predict(p, bad).valid);
  bad = c;
  bad.tile_n = 48;  // k_groups must be 1, 2 or 4
  EXPECT_FALSE(predict(p, bad).valid);
  bad = c;
  bad.cb_split = 2;
  bad.dataflow = Dataflow::codebook_centric;
  EXPECT_FALSE(predict(p, bad).valid);
}

TEST(GemmModel, RegisterTablesFromPtxas) {
  EXPECT_EQ(detail::gemm_fused_regs(4, 1, 0, false, true, 4), 59);  // gptvq-2
  EXPECT_EQ(detail::gemm_fused_regs(4, 1, 0, false, true, 8), 72);
  EXPECT_EQ(detail::gemm_fused_regs(8, 2, 0, false, true, 8), 103);  // aqlm-2x8
  EXPECT_EQ(detail::gemm_fused_regs(8, 1, 8, false, false, 8), 88);  // aqlm-1x16
  EXPECT_EQ(detail::gemm_fused_regs(8, 2, 8, true, true, 4), 76);    // quip#-4
  EXPECT_EQ(detail::gemm_fused_regs(8, 1, 8, false, true, 4), 0);    // no such instance
  EXPECT_TRUE(detail::gemm_fused_instance(8, 2, 4, false, false));   // aqlm-3 both ways
  EXPECT_TRUE(detail::gemm_fused_instance(8, 2, 4, false, true));
  EXPECT_FALSE(detail::gemm_fused_instance(2, 1, 0, false, true));
  // The predicted occupancy follows them: aqlm-2x8 at tile_m 64 and 8 warps (103 registers x
  // 256 threads) fits two blocks by registers.
  const PreparedProblem p = gemm("aqlm-2x8", 512, 4096, 4096);
  for (const Candidate& c : enumerate_candidates(p))
    if (c.fusion != Fusion::unfused && c.tile_m == 64 && c.threads == 256) {
      const Prediction r = predict(p, c);
      EXPECT_EQ(r.regs_per_thread, 103);
      EXPECT_LE(r.occ.blocks_per_sm, 2) << c.key();
    }
  EXPECT_EQ(detail::attention_cq_regs(4, 16), 64);  // __launch_bounds__(512, 2)
  EXPECT_EQ(detail::attention_cq_regs(2, 16), 80);
}

TEST(GemmModel, TimeGrowsWithTheProblem) {
  for (const char* vq : {"aqlm-2x8", "aqlm-1x16", "gptvq-2"}) {
    const PreparedProblem small = gemm(vq, 128, 4096, 4096);
    const PreparedProblem wide = gemm(vq, 128, 16384, 4096);
    const PreparedProblem tall = gemm(vq, 512, 4096, 4096);
    for (const Candidate& c : enumerate_candidates(small)) {
      const double t = predict(small, c).time_s;
      EXPECT_GT(predict(wide, c).time_s, t) << vq << " " << c.key();
      EXPECT_GT(predict(tall, c).time_s, t) << vq << " " << c.key();
    }
  }
}

TEST(AttentionModel, TheSpaceIsTheKernelsOwn) {
  // kernels/attention_space.cpp: threads {256, 512} x tokens per split {128, 256, ... below the
  // capacity, the capacity, the default}; the H100 data set has 12 at context 4096, 16 at 16384
  // for batch 16 and 18 for batch 1 (the default split adds one).
  const struct {
    std::int64_t batch, context;
    std::size_t count;
  } cases[] = {{16, 4096, 12}, {16, 16384, 16}, {1, 4096, 12}, {1, 16384, 18}};
  for (const char* vq : {"cq-4", "cq-2"})
    for (const auto& cs : cases) {
      const PreparedProblem p = attention(vq, cs.batch, 8, cs.context);
      const auto space = enumerate_candidates(p);
      EXPECT_EQ(space.size(), cs.count) << vq << " b" << cs.batch << " ctx" << cs.context;
      for (const Candidate& c : space) {
        EXPECT_EQ(c.split_k, (cs.context + c.tile_n - 1) / c.tile_n) << c.key();
        const Prediction r = predict(p, c);
        ASSERT_TRUE(r.valid) << c.key();
        EXPECT_TRUE(std::isfinite(r.time_s) && r.time_s > 0) << c.key();
      }
    }
}

TEST(AttentionModel, OccupancyAndMonotonicity) {
  // cq-4 at 512 threads: table + V codebook (128 KiB) leave room for one block per SM; cq-2
  // (96 KiB) for two.
  const PreparedProblem p4 = attention("cq-4", 1, 8, 4096);
  const PreparedProblem p2 = attention("cq-2", 1, 8, 4096);
  for (const Candidate& c : enumerate_candidates(p4)) {
    if (c.threads == 512) {
      EXPECT_EQ(predict(p4, c).occ.blocks_per_sm, 1) << c.key();
    }
  }
  for (const Candidate& c : enumerate_candidates(p2)) {
    if (c.threads == 512) {
      EXPECT_EQ(predict(p2, c).occ.blocks_per_sm, 2) << c.key();
    }
  }
  // Longer contexts and larger batches take longer with the same split size.
  const PreparedProblem longer = attention("cq-4", 1, 8, 16384);
  const PreparedProblem bigger = attention("cq-4", 16, 8, 4096);
  for (const Candidate& c : enumerate_candidates(p4)) {
    Candidate cl = c;
    cl.split_k = int((16384 + c.tile_n - 1) / c.tile_n);
    const double t = predict(p4, c).time_s;
    EXPECT_GT(predict(longer, cl).time_s, t) << c.key();
    EXPECT_GT(predict(bigger, c).time_s, t) << c.key();
  }
  // split_k must be what tokens per split give.
  Candidate bad = enumerate_candidates(p4).front();
  bad.split_k += 1;
  EXPECT_FALSE(predict(p4, bad).valid);
}
