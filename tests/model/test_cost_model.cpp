// Properties of the cost model that must hold whatever the coefficients: monotone in bandwidth and
// shape, predicted >= ideal, the on-chip / global crossover moving the right way as codebooks grow,
// and the anchors of the issue (fp16 GEMV time, small tables on chip, 1 MiB codebook in L2).
#include <gtest/gtest.h>

#include <random>

#include "model/enumerate.hpp"
#include "model/explain.hpp"
#include "vq/error.hpp"

using namespace vqt;

namespace {

Problem gemv(const char* vq, std::int64_t n, std::int64_t k, std::int64_t batch = 1) {
  return Problem::matmul(Op::gemv, parse_vq(vq), batch, n, k);
}

PreparedProblem prep(const Problem& pr, const GpuSpec& g, double zipf = 0.8) {
  return prepare(pr, g, ModelCoefficients{}, zipf_sorted_cdf(pr.vq.stored_entries(), zipf), "zipf");
}

Ranked best(const PreparedProblem& p) {
  auto r = rank_candidates(p, 1);
  EXPECT_FALSE(r.empty());
  return r.front();
}

const GpuSpec& h100() {
  return find_gpu("h100-sxm");
}

}  // namespace

TEST(CostModel, PredictedIsNeverBelowIdeal) {
  for (const char* vq : {"quip#-4", "aqlm-3", "gptvq-2", "aqlm-1x16"})
    for (const char* gpu : {"h100-sxm", "a100-80gb-sxm", "rtx-4090"}) {
      const auto p = prep(gemv(vq, 11008, 4096), find_gpu(gpu));
      for (const Candidate& c : enumerate_candidates(p)) {
        const Prediction r = predict(p, c);
        ASSERT_TRUE(r.valid) << c.key();
        ASSERT_GE(r.time_s, r.ideal_s) << vq << " " << gpu << " " << c.key();
        ASSERT_GE(r.hbm_bytes, p.compulsory_hbm_bytes);
        ASSERT_GE(r.l2_bytes, r.hbm_bytes * 0.999);
      }
    }
}

TEST(CostModel, MoreBandwidthIsNeverSlower) {
  std::mt19937 rng(std::random_device{}());
  for (const char* vq : {"quip#-4", "aqlm-3", "aqlm-1x16"}) {
    const Problem pr = gemv(vq, 4096, 4096);
    const auto base = prep(pr, h100());
    const auto cands = enumerate_candidates(base);
    for (Ceiling ce : {Ceiling::hbm_bw, Ceiling::l2_bw, Ceiling::smem_bw, Ceiling::fp32}) {
      Ceilings m;
      m.set(ce, h100().ceiling(ce) * (1.2 + std::uniform_real_distribution<>(0, 2)(rng)));
      const auto faster = prep(pr, effective(h100(), m));
      for (std::size_t i = 0; i < cands.size(); i += 7)
        ASSERT_LE(predict(faster, cands[i]).time_s, predict(base, cands[i]).time_s * (1 + 1e-12))
            << ceiling_name(ce) << " " << cands[i].key();
      EXPECT_LE(best(faster).prediction.time_s, best(base).prediction.time_s);
    }
  }
}

TEST(CostModel, LargerShapeIsNeverFaster) {
  for (const char* vq : {"quip#-4", "aqlm-3", "aqlm-1x16"}) {
    double prev = 0;
    for (std::int64_t n : {1024, 2048, 4096, 11008, 16384, 28672}) {
      const double t = best(prep(gemv(vq, n, 4096), h100())).prediction.time_s;
      EXPECT_GE(t, prev) << vq << " n=" << n;
      prev = t;
    }
    prev = 0;
    for (std::int64_t b : {1, 2, 4, 8, 16}) {
      const double t = best(prep(gemv(vq, 4096, 4096, b), h100())).prediction.time_s;
      EXPECT_GE(t, prev) << vq << " batch=" << b;
      prev = t;
    }
  }
}

TEST(CostModel, CrossoverMovesToGlobalAsCodebooksGrow) {
  // Same skew, codebooks of 4 KiB .. 1 MiB: the best candidate's global share never shrinks.
  double prev_global = -1;
  for (const char* vq : {"vq:8,8,1", "vq:8,10,1", "vq:8,12,1", "vq:8,14,1", "vq:8,16,1"}) {
    const Ranked r = best(prep(gemv(vq, 11008, 4096), h100(), 0.5));
    EXPECT_GE(r.prediction.frac_global, prev_global - 1e-9) << vq << " " << r.candidate.key();
    prev_global = r.prediction.frac_global;
  }
  EXPECT_GT(prev_global, 0.5);
}

TEST(CostModel, SmallTablesLiveOnChip) {
  for (const char* vq : {"quip#-4", "gptvq-2", "aqlm-2x8"})
    for (double z : {0.3, 0.8, 1.2}) {
      const Ranked r = best(prep(gemv(vq, 11008, 4096), h100(), z));
      EXPECT_EQ(r.candidate.n_smem, parse_vq(vq).stored_entries())
          << vq << " " << r.candidate.key();
      EXPECT_DOUBLE_EQ(r.prediction.frac_global, 0.0);
    }
}

TEST(CostModel, MegabyteCodebookStaysInL2) {
  // k-means histograms of 2^16 entries are flat (entropy close to 16 bits): Zipf 0 .. 0.5.
  for (double z : {0.0, 0.3, 0.5}) {
    const Ranked r = best(prep(gemv("aqlm-1x16", 11008, 4096), h100(), z));
    EXPECT_GT(r.prediction.frac_global, 0.5) << r.candidate.key();
    EXPECT_GT(r.prediction.l2_hit, 0.9);
  }
}

TEST(CostModel, Aqlm3KeepsTheTableOnChipOrInL1) {
  // A skewed 128 KiB codebook (2 levels x 4096 x 16 B). Measured on the H100 (exhaustive,
  // bench/results/data/h100-gemv-exhaustive-70.csv, 11008 x 4096): at batch 1 the best reads
  // everything through L1 (35.6 us; the whole table in shared memory 38 us), at batch 16 the whole
  // table in shared memory wins (47.9 us; through L1 ~60 us); partial placements and L1 bypass
  // lose by 15 % or more. The default coefficients must pick one of the two winning placements.
  for (std::int64_t batch : {1, 16}) {
    const Ranked r = best(prep(gemv("aqlm-3", 11008, 4096, batch), h100(), 1.0));
    EXPECT_FALSE(r.candidate.l1_bypass) << r.candidate.key();
    EXPECT_TRUE(r.candidate.n_smem == 0 || r.candidate.n_smem == 4096) << r.candidate.key();
  }
}

TEST(CostModel, AnchorsOnH100) {
  // fp16 GEMV 8192 x 8192, batch 1: ~60 us measured with cuBLAS.
  const auto p = prep(gemv("quip#-4", 8192, 8192), h100());
  const double dense = dense_fp16_time_s(p);
  EXPECT_GT(dense, 45e-6);
  EXPECT_LT(dense, 75e-6);
  // quip#-4 moves a quarter of the bytes. Measured on the H100: 2.53x faster than cuBLAS fp16
  // (bench/results/gemv-2026-11-21.md); the uncalibrated defaults predict ~1.8x, a fit to the
  // GPU's measurements closes the gap (bench/results/model-accuracy-gemv-h100.md).
  EXPECT_LT(best(p).prediction.time_s, dense / 1.5);
}

TEST(CostModel, GemmAndAttentionRank) {
  Problem g = gemv("aqlm-3", 4096, 4096);
  g.op = Op::gemm;
  g.m = 2048;
  const auto pg = prep(g, h100());
  const auto rg = rank_candidates(pg);
  ASSERT_FALSE(rg.empty());
  bool fused = false, unfused = false;
  for (const auto& x : rg) (x.candidate.fusion == Fusion::unfused ? unfused : fused) = true;
  EXPECT_TRUE(fused && unfused);
  EXPECT_GE(rg.front().prediction.time_s, pg.ideal_s);

  for (const char* vq : {"cq-4", "cq-2"}) {
    Problem a;
    a.op = Op::attention_decode;
    a.vq = parse_vq(vq);
    a.batch = 8;
    a.q_heads = 32;
    a.kv_heads = 8;
    a.head_dim = 128;
    a.context = 8192;
    const auto pa = prep(a, h100());
    const auto ra = rank_candidates(pa);
    ASSERT_FALSE(ra.empty()) << vq;
    // The CQ kernel implements token_split only (kernels/attention_params.cpp); the space is its.
    for (const auto& x : ra) EXPECT_EQ(x.candidate.dataflow, Dataflow::token_split);
    EXPECT_GE(ra.front().prediction.time_s, pa.ideal_s);
    // Without grouped-query sharing the compressed cache wins by far (H100, cq-4, batch 16,
    // context 4096: 122 us measured against ~360 us for the fp16 bytes); with 4 query heads per
    // kv head the CQ kernel redoes its lookups per query head and is about as fast as fp16
    // (115 us measured), so that case is not asserted.
    a.kv_heads = 32;
    const auto pm = prep(a, h100());
    EXPECT_LT(rank_candidates(pm).front().prediction.time_s, dense_fp16_time_s(pm) / 2) << vq;
  }
}

TEST(CostModel, RankingIsDeterministicAndSorted) {
  const auto p = prep(gemv("aqlm-3", 4096, 4096), h100());
  const auto a = rank_candidates(p, 50), b = rank_candidates(p, 50);
  ASSERT_EQ(a.size(), 50u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].candidate, b[i].candidate);
    if (i) {
      EXPECT_LE(a[i - 1].prediction.time_s, a[i].prediction.time_s);
    }
  }
}

TEST(CostModel, ValidityReasons) {
  const auto p = prep(gemv("aqlm-3", 4096, 4096), h100());
  Candidate c;
  c.tile_m = 1;
  EXPECT_EQ(can_run(p, c), "");
  c.threads = 2048;
  EXPECT_NE(can_run(p, c).find("threads"), std::string::npos);
  c.threads = 128;
  c.n_reg = 8;
  c.n_smem = 4;
  EXPECT_NE(can_run(p, c).find("n_reg"), std::string::npos);
  c.n_reg = 0;
  c.n_smem = 8192;
  EXPECT_NE(can_run(p, c).find("stored"), std::string::npos);
  c.n_smem = 4096;
  c.smem_copies = 4;  // 4096 x 16 B x 2 levels x 4 copies = 512 KiB
  EXPECT_NE(can_run(p, c).find("shared memory"), std::string::npos);
  c.smem_copies = 1;
  c.n_reg = 8;  // the fused GEMV's register tier holds at most 4 entries per level
  EXPECT_NE(can_run(p, c).find("register"), std::string::npos);
  c.n_reg = 0;
  c.tile_n = 100;  // a warp owns 16 rows: tile_n = 16 x threads / 32
  EXPECT_NE(can_run(p, c).find("tile_n"), std::string::npos);
  c.tile_n = 64;
  c.split_k = 3;  // uneven k slices are fine (whole chunks) ...
  EXPECT_EQ(can_run(p, c), "");
  c.split_k = 33;  // ... but not more slices than the 32 chunks of k = 4096 (v = 8, r = 2)
  EXPECT_NE(can_run(p, c).find("split_k"), std::string::npos);
  EXPECT_FALSE(predict(p, c).valid);
  // The bare-problem form agrees, and other GPUs have other limits: 128 KiB of shared memory per
  // block fits an H100 (227 KiB) but not an RTX 4090 (99 KiB).
  c.split_k = 1;
  c.n_smem = 4096;
  EXPECT_EQ(can_run(gemv("aqlm-3", 4096, 4096), c, h100()), "");
  EXPECT_NE(can_run(gemv("aqlm-3", 4096, 4096), c, find_gpu("rtx-4090")).find("shared memory"),
            std::string::npos);
}

TEST(CostModel, CoefficientsRoundTripAndReject) {
  ModelCoefficients c;
  c.hbm_efficiency = 0.77;
  c.l2_latency_s = 123e-9;
  const auto back = ModelCoefficients::from_json(c.to_json());
  EXPECT_DOUBLE_EQ(back.hbm_efficiency, 0.77);
  EXPECT_DOUBLE_EQ(back.l2_latency_s, 123e-9);
  EXPECT_THROW(ModelCoefficients::from_json("{\"hbm_efficiency\": 1.5}"), InputError);
  EXPECT_THROW(ModelCoefficients::from_json("{\"nonsense\": 1}"), InputError);
  // Fields of earlier models (stored fits keep them) load and change nothing; to_json drops them.
  for (const auto& name : ModelCoefficients::retired_coefficients()) {
    const auto old =
        ModelCoefficients::from_json("{\"" + name + "\": 0.5, \"hbm_efficiency\": 0.8}");
    EXPECT_DOUBLE_EQ(old.hbm_efficiency, 0.8) << name;
    EXPECT_EQ(old.to_json().find(name), std::string::npos) << name;
  }
  EXPECT_THROW(ModelCoefficients::from_json("[1,2"), InputError);
  // Efficiency changes predictions in the right direction.
  const Problem pr = gemv("aqlm-3", 4096, 4096);
  const auto cdf = zipf_sorted_cdf(4096, 0.8);
  ModelCoefficients lo;
  lo.hbm_efficiency = 0.4;
  const auto a = prepare(pr, h100(), ModelCoefficients{}, cdf, "z");
  const auto b = prepare(pr, h100(), lo, cdf, "z");
  EXPECT_GE(best(b).prediction.time_s, best(a).prediction.time_s);
}

TEST(CostModel, PrepareRejectsAMismatchedHistogram) {
  EXPECT_THROW(prepare(gemv("aqlm-3", 4096, 4096), h100(), {}, zipf_sorted_cdf(256, 1), "z"),
               InputError);
}

TEST(CostModel, WhyLineNamesThePlacementReason) {
  const auto small = prep(gemv("gptvq-2", 11008, 4096), h100());
  const Ranked a = best(small);
  const std::string wa = explain(small, a.candidate, a.prediction);
  EXPECT_NE(wa.find("2 KiB codebook per block fits on chip"), std::string::npos) << wa;
  const auto big = prep(gemv("aqlm-1x16", 11008, 4096), h100(), 0.0);
  const Ranked b = best(big);
  const std::string wb = explain(big, b.candidate, b.prediction);
  EXPECT_NE(wb.find("1.0 MiB codebook"), std::string::npos) << wb;
  EXPECT_NE(wb.find("L2 hit 100%"), std::string::npos) << wb;
  EXPECT_NE(wb.find("bound: "), std::string::npos);
  EXPECT_EQ(format_bytes(2048), "2 KiB");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(1 << 20), "1.0 MiB");
  EXPECT_EQ(format_bytes(100), "100 B");
}
