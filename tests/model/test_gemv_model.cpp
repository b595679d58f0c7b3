// The fused GEMV's model (model/detail/gemv_model.hpp): its candidate space is the kernel's own
// (one candidate per launch configuration), the persistent-grid arithmetic, and the smooth maximum.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "model/detail/gemv_model.hpp"
#include "model/enumerate.hpp"
#include "model/terms.hpp"

using namespace vqt;

namespace {

// A GEMV problem on the H100 spec with a Zipf(1) histogram and `coef`.
PreparedProblem prep(const char* vq, std::int64_t batch, std::int64_t n, std::int64_t k,
                     const ModelCoefficients& coef = {}) {
  const Problem p = Problem::matmul(Op::gemv, parse_vq(vq), batch, n, k);
  return prepare(p, find_gpu("h100-sxm"), coef, zipf_sorted_cdf(p.vq.stored_entries(), 1.0),
                 "zipf:1");
}

// The kernel's launch configuration on p: the codebook's first n_smem entries in shared memory
// (`copies` copies), the rest through L1, no register tier, `threads` threads (a warp owns 16
// rows), split k ways.
Candidate placed(const PreparedProblem& p, int n_smem, int copies, int threads, int split_k) {
  Candidate c = enumerate_candidates(p).front();
  c.n_reg = 0;
  c.n_smem = n_smem;
  c.smem_copies = copies;
  c.l1_bypass = false;
  c.threads = threads;
  c.tile_n = 16 * threads / 32;
  c.split_k = split_k;
  return c;
}

// The GEMV coefficients fitted on the H100 and committed (bench/results/data); throws when the
// file is missing or invalid.
ModelCoefficients committed_h100_coefficients() {
  return ModelCoefficients::load(std::string(VQT_SOURCE_DIR) +
                                 "/bench/results/data/h100-gemv-coefficients.json");
}

}  // namespace

TEST(GemvModel, TheSpaceIsTheKernelsOwnLaunchConfigurations) {
  for (const char* vq : {"quip#-4", "aqlm-3", "gptvq-2", "aqlm-2x8", "aqlm-1x16"}) {
    const PreparedProblem p = prep(vq, 16, 4096, 11008);
    const auto space = enumerate_candidates(p);
    ASSERT_GT(space.size(), 50u) << vq;
    std::set<std::string> kernel_configs;
    for (const Candidate& c : space) {
      EXPECT_EQ(c.tile_n, 16 * c.threads / 32) << c.key();  // a warp owns 16 rows
      EXPECT_TRUE(c.n_reg == 0 || c.n_reg == detail::kGemvRegEntries) << c.key();
      EXPECT_EQ(c.cb_split, 1);
      EXPECT_EQ(c.tile_m, 16);
      EXPECT_TRUE(predict(p, c).valid) << c.key();
      // What the kernel sees (kernels/gemv_candidate.cpp): each configuration once.
      const std::string kc = std::to_string(c.n_reg) + "," + std::to_string(c.n_smem) + "," +
                             std::to_string(c.smem_copies) + "," + std::to_string(c.l1_bypass) +
                             "," + std::to_string(c.split_k) + "," + std::to_string(c.threads);
      EXPECT_TRUE(kernel_configs.insert(kc).second) << "duplicate " << c.key();
    }
  }
}

TEST(GemvModel, ChunkOfTheKernelGeometry) {
  // kernels/gemv_geometry.hpp: chunk_k = 4 ep x 16 / (2 (ep / v) r), ep = max(v, 4).
  EXPECT_EQ(detail::gemv_chunk_k(8, 1), 256);
  EXPECT_EQ(detail::gemv_chunk_k(8, 2), 128);
  EXPECT_EQ(detail::gemv_chunk_k(4, 1), 128);
  EXPECT_EQ(detail::gemv_chunk_k(4, 2), 64);
  EXPECT_EQ(detail::gemv_chunk_k(2, 1), 64);
  EXPECT_EQ(detail::gemv_chunk_k(2, 2), 32);
  // steps_per_chunk = 16 codes / (2 rows x ep / v codewords x r levels).
  EXPECT_EQ(detail::gemv_steps_per_chunk(8, 1), 8);
  EXPECT_EQ(detail::gemv_steps_per_chunk(8, 2), 4);
  EXPECT_EQ(detail::gemv_steps_per_chunk(4, 2), 4);
  EXPECT_EQ(detail::gemv_steps_per_chunk(2, 1), 4);
  EXPECT_EQ(detail::gemv_steps_per_chunk(2, 2), 2);
}

TEST(GemvModel, RegistersComeFromTheInstanceTable) {
  // More tiers never cost fewer registers for the v = 8, r = 2 instances; all fit 512 threads.
  for (int hi_bits : {8, 12, 16}) {
    EXPECT_LE(detail::gemv_kernel_regs(8, 2, hi_bits, false, 0),
              detail::gemv_kernel_regs(8, 2, hi_bits, false, 2));
    for (int tier = 0; tier < 3; ++tier)
      EXPECT_LE(detail::gemv_kernel_regs(8, 2, hi_bits, false, tier), 128);
  }
  const PreparedProblem p = prep("aqlm-3", 1, 4096, 4096);
  Candidate c = enumerate_candidates(p).front();
  c.n_reg = 0;
  c.n_smem = 256;
  EXPECT_EQ(predict(p, c).regs_per_thread, detail::gemv_kernel_regs(8, 2, 12, false, 1));
}

TEST(GemvModel, SmoothMaxLiesBetweenTheMaxAndTheSum) {
  const double x[3] = {3.0, 4.0, 1.0};
  for (double p : {1.0, 2.0, 4.0, 32.0}) {
    const double m = detail::smooth_max(x, 3, p);
    EXPECT_GE(m, 4.0 - 1e-12);
    EXPECT_LE(m, 8.0 + 1e-12);
  }
  EXPECT_NEAR(detail::smooth_max(x, 3, 1.0), 8.0, 1e-12);
  EXPECT_NEAR(detail::smooth_max(x, 3, 64.0), 4.0, 0.01);
  const double zeros[2] = {0, 0};
  EXPECT_EQ(detail::smooth_max(zeros, 2, 4.0), 0.0);
}

TEST(GemvModel, MoreItemsPerBlockTakeLongerAndPartialWavesShow) {
  // 16 row tiles x split 1 with 16 warps = 1 item: one SM busy. Splitting k spreads the same
  // chunks over more SMs and is predicted faster.
  const PreparedProblem p = prep("aqlm-2x8", 1, 256, 16384);
  Candidate c = placed(p, 256, 1, 512, 1);
  const Prediction one = predict(p, c);
  c.split_k = 8;
  const Prediction eight = predict(p, c);
  ASSERT_TRUE(one.valid && eight.valid);
  EXPECT_EQ(one.blocks, 1);
  EXPECT_EQ(eight.blocks, 8);
  EXPECT_LT(eight.time_s, one.time_s);
  EXPECT_GT(eight.reduction_s, 0.0);
  EXPECT_EQ(one.reduction_s, 0.0);
}

TEST(GemvModel, ATailRoundRunsOneItemsChainWithFewerWarps) {
  // 128-thread blocks (64 rows an item), B of them resident per SM: 132 x B items fill one round
  // of every block. One more item is a second round for one block of SM 0 alone: it costs that
  // item's whole chain, not 1 / B of the SM's pipe work.
  const PreparedProblem probe = prep("aqlm-2x8", 1, 64 * 132, 4096);
  const int b = predict(probe, placed(probe, 256, 1, 128, 1)).occ.blocks_per_sm;
  ASSERT_GE(b, 2);
  const PreparedProblem full = prep("aqlm-2x8", 1, 64 * 132 * b, 4096);
  const PreparedProblem tail = prep("aqlm-2x8", 1, 64 * (132 * b + 1), 4096);
  const Prediction pf = predict(full, placed(full, 256, 1, 128, 1));
  const Prediction pt = predict(tail, placed(tail, 256, 1, 128, 1));
  ASSERT_TRUE(pf.valid && pt.valid);
  EXPECT_EQ(pf.waves, 1);
  EXPECT_EQ(pt.waves, 2);  // items per block
  EXPECT_GT(pt.time_s - pf.time_s, 0.9 * pf.latency_s);
}

TEST(GemvModel, PerTensorOverlapHardensAsWarpsLeaveTheSm) {
  // p = overlap_exponent x (warps on the SM / 16)^overlap_warps_exponent, the exponent at most
  // -1: a more negative one gives four warps a larger p (a harder maximum, a shorter time), and
  // sixteen warps are where p is overlap_exponent itself.
  ModelCoefficients one, two = one;
  one.overlap_exponent = two.overlap_exponent = 1;  // p 4 vs 16 at four warps (not yet hard)
  one.overlap_warps_exponent = -1;
  two.overlap_warps_exponent = -2;
  const PreparedProblem a = prep("aqlm-2x8", 1, 4096, 4096, one);
  const PreparedProblem b = prep("aqlm-2x8", 1, 4096, 4096, two);
  const Candidate four = placed(a, 256, 1, 128, 2);     // 128 items: one 4-warp block per SM
  const Candidate sixteen = placed(a, 256, 1, 512, 8);  // 128 items: one 16-warp block per SM
  EXPECT_LT(predict(b, four).time_s, predict(a, four).time_s * 0.999);
  EXPECT_NEAR(predict(b, sixteen).time_s, predict(a, sixteen).time_s, 1e-15);
}

TEST(GemvModel, PerTileCodebooksHaveTheirOwnOverlap) {
  // gptvq-2 (one codebook per 256 x 256 tile) rounds use tile_overlap_*, aqlm-2x8 (per tensor)
  // overlap_warps_exponent: each moves its own format's prediction and leaves the other's alone
  // (overlap_exponent itself also joins an item's chain and code stream, for both).
  ModelCoefficients base;
  base.overlap_exponent = base.tile_overlap_exponent = 1;  // p 4 at four warps (not yet hard)
  ModelCoefficients tile = base, tensor = base;
  tile.tile_overlap_exponent = 3;
  tensor.overlap_warps_exponent = -2;
  for (const char* vq : {"gptvq-2", "aqlm-2x8"}) {
    const bool per_tile = std::string(vq) == "gptvq-2";
    const PreparedProblem p0 = prep(vq, 1, 4096, 4096, base);
    const PreparedProblem pt = prep(vq, 1, 4096, 4096, tile);
    const PreparedProblem pn = prep(vq, 1, 4096, 4096, tensor);
    const Candidate c = placed(p0, 256, 1, 128, 2);
    const double t0 = predict(p0, c).time_s, tt = predict(pt, c).time_s, tn = predict(pn, c).time_s;
    if (per_tile) {
      EXPECT_GT(std::abs(tt / t0 - 1), 0.01) << vq;
      EXPECT_NEAR(tn, t0, 1e-15) << vq;
    } else {
      EXPECT_NEAR(tt, t0, 1e-15) << vq;
      EXPECT_GT(std::abs(tn / t0 - 1), 0.001) << vq;
    }
  }
}

TEST(GemvModel, PerTileBarriersWaitLongerInWiderBlocks) {
  // Every tile column ends at two barriers where a block's warps wait for its slowest
  // (gemv_tile_warp_cycles per warp of the block): a 512-thread block pays four times a
  // 128-thread one's per column; per-tensor codebooks have no tile columns.
  ModelCoefficients none, wait = none;
  wait.gemv_tile_warp_cycles = 500;
  for (const char* vq : {"gptvq-2", "aqlm-2x8"}) {
    const bool per_tile = std::string(vq) == "gptvq-2";
    const PreparedProblem a = prep(vq, 16, 4096, 8192, none);
    const PreparedProblem b = prep(vq, 16, 4096, 8192, wait);
    for (int threads : {128, 512}) {
      const Candidate c = placed(a, 256, 1, threads, 4);
      const double ta = predict(a, c).time_s, tb = predict(b, c).time_s;
      if (per_tile)
        EXPECT_GT(tb, ta * 1.01) << vq << " " << threads;
      else
        EXPECT_DOUBLE_EQ(tb, ta) << vq << " " << threads;
    }
  }
  // The wider block pays more per column: 16 warps x 500 cycles against 4 x 500.
  const PreparedProblem a = prep("gptvq-2", 16, 4096, 8192, none);
  const PreparedProblem b = prep("gptvq-2", 16, 4096, 8192, wait);
  const Candidate narrow = placed(a, 256, 1, 128, 4), wide = placed(a, 256, 1, 512, 4);
  EXPECT_GT(predict(b, wide).time_s / predict(a, wide).time_s,
            predict(b, narrow).time_s / predict(a, narrow).time_s);
}

TEST(GemvModel, CalibratedASecondLatencyBoundBlockOnTheSmCostsLittle) {
  // Measured on the H100 (bench/results/data/h100-gemv-70.db, aqlm-2x8 batch 16, K 4096, 256
  // entries in shared memory x 4 copies, 128 threads, split 1): N 4096 (64 blocks, one per SM)
  // 35.2 us, N 11008 (172 blocks, two on SM 0) 37.1 us: the second block's work hides in the
  // first's chain. With the committed coefficients the model's ratio stays under 1.10; the
  // session-8 model (p softening as warps leave) gave 1.17.
  const ModelCoefficients h100 = committed_h100_coefficients();
  const PreparedProblem one = prep("aqlm-2x8", 16, 4096, 4096, h100);
  const PreparedProblem two = prep("aqlm-2x8", 16, 11008, 4096, h100);
  const double t1 = predict(one, placed(one, 256, 4, 128, 1)).time_s;
  const double t2 = predict(two, placed(two, 256, 4, 128, 1)).time_s;
  EXPECT_GT(t2, t1);
  EXPECT_LT(t2 / t1, 1.10);
}

TEST(GemvModel, SplitEpilogueAndTierTestCostOnlyWhereTheKernelPaysThem) {
  // A split-k item ends with atomics, a fence and barriers (gemv_split_item_cycles); a codebook
  // split over tiers tests every lookup's tier (tier_test_issue_per_code) and overlaps fewer of
  // a chunk's lookups; the all-in-shared-memory loop does neither.
  ModelCoefficients cheap, dear = cheap;
  cheap.gemv_split_item_cycles = 0;
  cheap.tier_test_issue_per_code = 0;
  dear.gemv_split_item_cycles = 20000;
  dear.tier_test_issue_per_code = 100;
  const PreparedProblem a = prep("aqlm-2x8", 1, 4096, 4096, cheap);
  const PreparedProblem b = prep("aqlm-2x8", 1, 4096, 4096, dear);
  Candidate c = placed(a, 256, 1, 128, 1);  // every entry in shared memory: one path
  EXPECT_DOUBLE_EQ(predict(a, c).time_s, predict(b, c).time_s);
  c.split_k = 4;
  EXPECT_GT(predict(b, c).time_s, predict(a, c).time_s * 1.05);
  c.split_k = 1;
  c.n_smem = 64;  // a quarter of the entries: every lookup tests its tier
  EXPECT_GT(predict(b, c).time_s, predict(a, c).time_s * 1.05);
  // Same coefficients: the tiered candidate overlaps fewer lookups than the one-path one.
  ModelCoefficients serial = cheap;
  serial.lookups_in_flight_per_warp = 1;
  serial.pipelined_lookups_in_flight = 16;
  const PreparedProblem s = prep("aqlm-2x8", 1, 4096, 4096, serial);
  c.n_smem = 256;
  const double one_path = predict(s, c).latency_s;
  c.n_reg = 4;
  EXPECT_GT(predict(s, c).latency_s, one_path);
}

TEST(GemvModel, RegisterSelectChainIsLatencyNotIssue) {
  // The register tier's compare/select chain (reg_select_chain_cycles_per_code) lengthens a warp's
  // chunk but takes no issue slots: with one 4-warp block per SM (the chain is the time) it costs
  // more than with one 16-warp block per SM (issue and pipes share the chunk); candidates without
  // a register tier and the SM's issue time do not move.
  ModelCoefficients none, chain = none;
  chain.reg_select_chain_cycles_per_code = 200;
  const PreparedProblem a = prep("aqlm-3", 16, 4096, 4096, none);
  const PreparedProblem b = prep("aqlm-3", 16, 4096, 4096, chain);
  Candidate four = placed(a, 4096, 1, 128, 1), sixteen = placed(a, 4096, 1, 512, 1);
  EXPECT_DOUBLE_EQ(predict(b, four).time_s, predict(a, four).time_s);
  four.n_reg = sixteen.n_reg = 4;
  const Prediction fa = predict(a, four), fb = predict(b, four);
  const Prediction sa = predict(a, sixteen), sb = predict(b, sixteen);
  ASSERT_TRUE(fa.valid && sa.valid);
  EXPECT_DOUBLE_EQ(fb.compute_s, fa.compute_s);
  EXPECT_GT(fb.latency_s, fa.latency_s);
  EXPECT_GT(fb.time_s / fa.time_s, 1.05);
  EXPECT_GT(fb.time_s / fa.time_s, sb.time_s / sa.time_s);
}

TEST(GemvModel, CalibratedRegisterTierWithOneWarpPerSchedulerIsTwiceTheAllSharedLoop) {
  // Measured on the H100 (bench/results/data/h100-gemv-70.db, aqlm-3 batch 16, 12288 x 4096, all
  // 4096 entries in shared memory, 128 threads, split 1: one 4-warp block per SM): 101.4 us
  // without the register tier, 208.7 us with 4 entries per level in registers (x2.06). With the
  // committed coefficients the model's ratio is above 1.7; session 9's (the select chain as
  // issue slots only) gave 1.42.
  const PreparedProblem p = prep("aqlm-3", 16, 12288, 4096, committed_h100_coefficients());
  Candidate c = placed(p, 4096, 1, 128, 1);
  const double all_smem = predict(p, c).time_s;
  c.n_reg = 4;
  const double with_regs = predict(p, c).time_s;
  EXPECT_GT(with_regs / all_smem, 1.7);
  EXPECT_LT(with_regs / all_smem, 2.4);
}

TEST(GemvModel, TheMmaAccumulatorChainAddsToEveryChunk) {
  // A chunk's mmas accumulate one k16 tile after the other into one fragment per n-tile: each
  // chunk's chain grows by chunk_k / 16 x gemv_mma_chain_cycles.
  ModelCoefficients none;
  none.hbm_latency_s = 1e-9;  // the chain, not the code stream, sets the chunk's latency
  ModelCoefficients some = none;
  none.gemv_mma_chain_cycles = 0;
  some.gemv_mma_chain_cycles = 33;
  const PreparedProblem a = prep("aqlm-3", 16, 4096, 4096, none);
  const PreparedProblem b = prep("aqlm-3", 16, 4096, 4096, some);
  // 64 blocks, one item each: 4096 / 128 = 32 chunks per warp.
  const Candidate c = placed(a, 4096, 1, 128, 1);
  const Prediction pa = predict(a, c), pb = predict(b, c);
  const int chunk_k = detail::gemv_chunk_k(8, 2);
  ASSERT_EQ(chunk_k, 128);
  EXPECT_NEAR(pb.latency_s - pa.latency_s, 32.0 * (chunk_k / 16) * 33 / a.spec.boost_clock_hz,
              1e-12);
  EXPECT_GT(pb.time_s, pa.time_s);
}

TEST(GemvModel, TileColumnRestartsOnlyForPerTileCodebooks) {
  // gptvq-2 keeps one codebook per 256 x 256 tile: every tile column restarts the code prefetch
  // behind two barriers (gemv_tile_cycles); a per-tensor codebook never does.
  ModelCoefficients cheap, dear = cheap;
  cheap.gemv_tile_cycles = 0;
  dear.gemv_tile_cycles = 20000;
  for (const char* vq : {"gptvq-2", "aqlm-2x8"}) {
    const PreparedProblem a = prep(vq, 1, 4096, 4096, cheap);
    const PreparedProblem b = prep(vq, 1, 4096, 4096, dear);
    const Candidate c = enumerate_candidates(a).front();
    if (a.problem.vq.scope == Scope::per_tile)
      EXPECT_GT(predict(b, c).time_s, predict(a, c).time_s * 1.05) << vq;
    else
      EXPECT_DOUBLE_EQ(predict(b, c).time_s, predict(a, c).time_s) << vq;
  }
}

TEST(GemvModel, BypassedLookupsQueueAtTheHottestGlobalLine) {
  // With L1 bypassed, a codebook's global lookups queue at the L2 slice of its hottest global
  // 128-byte line (8 rows of 16 bytes): a warp request touching that line costs one request there.
  // On the H100 (bench/results/model-accuracy-gemv-h100.md, 2026-11-22 session 4) aqlm-2x8 with
  // 64 entries in shared memory and the rest bypassed floors at 0.4x the all-bypassed time; the
  // per-sector version of this term put it at 0.15x.
  ModelCoefficients k;
  k.l2_slice_requests_per_s = 1e7;  // make the hot spot the limit
  const PreparedProblem p = prep("aqlm-2x8", 1, 4096, 4096, k);
  Candidate c = enumerate_candidates(p).front();
  c.n_reg = 0;
  c.smem_copies = 1;
  c.l1_bypass = true;
  c.n_smem = 0;
  const double all_global = predict(p, c).time_s;
  c.n_smem = 64;
  const double hot_in_smem = predict(p, c).time_s;
  // Rows 64..71 take 1.9 % of the lookups: 1 - 0.981^32 = 46 % of warp requests touch them,
  // against every request touching rows 0..7 (rows 64..65 alone: 15 %).
  EXPECT_GT(hot_in_smem / all_global, 0.35);
  EXPECT_LT(hot_in_smem / all_global, 0.55);
  c.l1_bypass = false;
  EXPECT_LT(predict(p, c).time_s, hot_in_smem);  // through L1 the line is served there
}

TEST(GemvModel, ActivationLinesCostLsuAndDelayL1Lookups) {
  // Each step a lane reads 16 bytes of its x row: one 128-byte line per live batch row (1 at
  // batch 1, 16 at batch 16) in the LSU, and lookups through L1 wait behind them
  // (x_line_wait_cycles); the shared-memory loop does not wait.
  ModelCoefficients none, wait = none;
  none.x_line_wait_cycles = 0;
  wait.x_line_wait_cycles = 200;
  auto at = [&](const ModelCoefficients& k, std::int64_t batch, int n_smem) {
    const PreparedProblem p = prep("aqlm-3", batch, 4096, 4096, k);
    Candidate c = placed(p, n_smem, 1, 256, 1);
    c.tile_m = 16;
    return predict(p, c);
  };
  EXPECT_GT(at(none, 16, 0).smem_s, at(none, 1, 0).smem_s * 1.1);
  EXPECT_GT(at(wait, 16, 0).latency_s, at(none, 16, 0).latency_s * 1.05);  // L1 path waits
  EXPECT_DOUBLE_EQ(at(wait, 16, 4096).latency_s, at(none, 16, 4096).latency_s);
}

TEST(GemvModel, XLinesMissingL1HoldTheGlobalOnlyLoopsLookupsForL2) {
  // L1 returns a warp's loads in order: in the global-only loop a step whose x lines miss L1
  // waits an L2 round trip even when its lookups hit (x_l1_miss_per_line, per line of the step:
  // 16 at batch 16, 1 at batch 1). The tiered loop, the all-shared-memory loop and the bypass
  // do not.
  ModelCoefficients none, miss = none;
  none.x_l1_miss_per_line = 0;
  miss.x_l1_miss_per_line = 0.25;
  auto lat = [&](const ModelCoefficients& k, std::int64_t batch, int n_smem, bool bypass) {
    const PreparedProblem p = prep("aqlm-3", batch, 4096, 4096, k);
    Candidate c = placed(p, n_smem, 1, 256, 1);
    c.tile_m = batch >= 16 ? 16 : 1;
    c.l1_bypass = bypass;
    return predict(p, c).latency_s;
  };
  const double b16 = lat(miss, 16, 0, false) / lat(none, 16, 0, false);
  const double b1 = lat(miss, 1, 0, false) / lat(none, 1, 0, false);
  EXPECT_GT(b16, 1.05);
  EXPECT_GT(b16 - 1.0, 2.0 * (b1 - 1.0));  // 1 - 0.75^16 = 99 % of steps against 25 %
  EXPECT_DOUBLE_EQ(lat(miss, 16, 256, false), lat(none, 16, 256, false));
  EXPECT_DOUBLE_EQ(lat(miss, 16, 4096, false), lat(none, 16, 4096, false));
  EXPECT_DOUBLE_EQ(lat(miss, 16, 0, true), lat(none, 16, 0, true));
}

TEST(GemvModel, CopiesOfATableSeeFewerBroadcastsAndWaitForTheirBusiestGroup) {
  // Copy j of a shared-memory table serves lanes j, j + copies, ...: lanes that read one entry
  // from different copies cannot share a broadcast, so the distinct entries per bank group are
  // counted among the group's own lanes (fewer lanes, fewer repeats).
  const double q = 0.05;  // collision probability of a skewed table
  EXPECT_GT(distinct_fraction(16.0 / 4, q), distinct_fraction(16.0, q));
  const PreparedProblem p = prep("gptvq-2", 1, 4096, 4096);
  Candidate c = enumerate_candidates(p).front();
  c.n_reg = 0;
  c.n_smem = 256;
  c.l1_bypass = false;
  c.smem_copies = 1;
  const double one = predict(p, c).conflict_factor;
  c.smem_copies = 4;
  const double four = predict(p, c).conflict_factor;
  // Counted on the H100 (vqtune profile, gptvq-2 4096 x 4096 batch 1, bench/results/
  // profile-h100-2026-11-22-s5.md): 2.41 with one copy, 2.48 with four. Four copies of an 8-byte
  // entry leave each copy's lanes 4 bank slots, and the phase waits for the most loaded of the 4
  // groups: no gain (the model said 2.01 when it took one group's load for the phase's).
  EXPECT_NEAR(one, 2.41, 0.10);
  EXPECT_NEAR(four, 2.48, 0.10);
}

TEST(ModelCombine, LargestBoundTakesTheFirstStrictlyLargerLimit) {
  using detail::largest_bound;
  EXPECT_EQ(largest_bound(5.0, {{4.0, Bound::l2}, {5.0, Bound::smem}}), Bound::hbm);  // ties stay
  EXPECT_EQ(largest_bound(1.0, {{4.0, Bound::l2}, {4.0, Bound::smem}}), Bound::l2);
  EXPECT_EQ(largest_bound(1.0, {{2.0, Bound::l2}, {3.0, Bound::compute}, {2.5, Bound::launch}}),
            Bound::compute);
  EXPECT_EQ(largest_bound(0.0, {}), Bound::hbm);
}
