#include "model/detail/gemm_model.hpp"

#include <algorithm>
#include <cmath>

#include "model/detail/combine.hpp"
#include "model/terms.hpp"

namespace vqt::detail {

namespace {

// Registers of the fused GEMM instances, read with `nvcc --resource-usage` (CUDA 13.0, sm_90a,
// -O3, __launch_bounds__(256)) of kernels/gemm_vq_v4.cu and gemm_vq_v8.cu: vq_gemm_kernel<V, R,
// HI, LAT, TIER, NT> for NT = 4 / 8 (tile_m 32 / 64).
struct FusedRegs {
  int v, r, hi;
  bool lattice;
  int tier;  // 1: codebook in shared memory, 0: through L1
  int regs_nt4, regs_nt8;
};
constexpr FusedRegs kFusedRegs[] = {
    {4, 1, 0, false, 1, 59, 72},   // gptvq-2
    {8, 1, 8, false, 0, 72, 88},   // aqlm-1x16
    {8, 2, 0, false, 1, 79, 103},  // aqlm-2x8
    {8, 2, 4, false, 0, 75, 89},   // aqlm-3, global
    {8, 2, 4, false, 1, 81, 92},   // aqlm-3, shared
    {8, 2, 8, true, 1, 76, 93},    // quip#-4
};

void unfused_terms(const PreparedProblem& p, const Geometry& g, Prediction& r) {
  const GpuSpec& s = p.spec;
  const ModelCoefficients& k = p.coef;
  const Problem& pr = p.problem;
  const double sms = s.sm_count, clk = s.boost_clock_hz;
  const double hbm_bw = s.hbm_bw_bytes_per_s() * k.gemm_hbm_efficiency;
  // Dequantize: codes and codebooks in, W out in fp16; every lookup at a per-SM rate.
  const double w_bytes = double(pr.n) * double(pr.k) * 2.0;
  const double dq_bytes = p.codes_bytes + p.codebook_bytes + w_bytes;
  const double dq_lim[2] = {dq_bytes / hbm_bw,
                            p.lookups * k.gemm_dequant_cycles_per_lookup / (sms * clk)};
  const double dq_s = smooth_max(dq_lim, 2, k.gemm_overlap_exponent) + k.gemm_dequant_base_s;
  // cuBLAS fp16 GEMM: tensor FLOPs at the measured ceiling x efficiency, against its bytes.
  const double gemm_bytes = w_bytes + p.activation_bytes + p.output_bytes;
  const double flops = 2.0 * double(pr.m) * double(pr.n) * double(pr.k);
  const double tensor_s = flops / (s.fp16_tensor_flops_per_s() * k.gemm_cublas_efficiency);
  const double gemm_hbm_s = gemm_bytes / hbm_bw;
  const double gm_lim[2] = {tensor_s, gemm_hbm_s};
  const double gm_s = smooth_max(gm_lim, 2, k.gemm_overlap_exponent) + k.gemm_cublas_base_s;

  r.waves = ceil_ratio(double(g.blocks), sms * std::max(1, r.occ.blocks_per_sm));
  r.wave_eff = wave_efficiency(g.blocks, s.sm_count);
  r.frac_reg = 0;
  r.frac_smem = 0;
  r.frac_global = 1;
  r.conflict_factor = 1;
  r.hbm_bytes = dq_bytes + gemm_bytes;
  r.l2_bytes = r.hbm_bytes;
  r.l1_sectors = p.lookups * std::max(1.0, p.row_bytes / 32.0);
  r.smem_wavefronts = 0;
  r.reg_lookups = 0;
  r.cuda_core_ops = p.lookups * 32.0;
  r.tensor_flops = flops;
  r.hbm_s = dq_lim[0] + gemm_hbm_s;
  r.l2_s = r.l2_bytes / (s.l2_bw_bytes_per_s() * k.gemm_l2_efficiency);
  r.smem_s = 0;
  r.compute_s = dq_lim[1] + tensor_s;
  r.latency_s = 0;
  r.fill_s = 0;
  r.reduction_s = 0;
  r.launch_s = k.gemm_dequant_base_s + k.gemm_cublas_base_s;
  r.second_kernel_s = gm_s;
  r.time_s = dq_s + gm_s;
  r.bound = r.compute_s > r.hbm_s ? Bound::compute : Bound::hbm;
}

}  // namespace

bool gemm_fused_instance(int v, int levels, int hi_bits, bool lattice, bool smem) {
  for (const FusedRegs& f : kFusedRegs)
    if (f.v == v && f.r == levels && f.hi == hi_bits && f.lattice == lattice &&
        (f.tier == 1) == smem)
      return true;
  return false;
}

int gemm_fused_regs(int v, int levels, int hi_bits, bool lattice, bool smem, int nt) {
  for (const FusedRegs& f : kFusedRegs)
    if (f.v == v && f.r == levels && f.hi == hi_bits && f.lattice == lattice &&
        (f.tier == 1) == smem)
      return nt <= 4 ? f.regs_nt4 : f.regs_nt8;
  return 0;
}

int gemm_dequant_regs(int v, int levels) {
  // vq_dequant_kernel (kernels/vq_gemv_kernel.cuh): 16 codes and one entry sum per thread; at
  // 256 threads the registers never limit its occupancy below 2048 threads per SM.
  return v * levels <= 8 ? 32 : 40;
}

void gemm_kernel_terms(const PreparedProblem& p, const Candidate& c, const Geometry& g,
                       Prediction& r) {
  if (c.fusion == Fusion::unfused) {
    unfused_terms(p, g, r);
    return;
  }
  const GpuSpec& s = p.spec;
  const ModelCoefficients& k = p.coef;
  const Problem& pr = p.problem;
  const VqConfig& vq = pr.vq;
  const double clk = s.boost_clock_hz;
  const double sms = s.sm_count;
  const int v = p.vec_size;
  const int warps = c.threads / 32;
  const int tpb = c.tile_n / 16;
  const int kg = warps / tpb;
  const double nt = c.tile_m / 8;
  const bool smem = c.n_smem > 0;
  const bool per_tile = vq.scope == Scope::per_tile;

  // Chunk geometry (kernels/gemv_geometry.hpp).
  const int ep = gemv_step_elems(v);
  const int chunk_k = gemv_chunk_k(v, p.levels);
  const double steps = double(gemv_steps_per_chunk(v, p.levels));
  const double mmas = steps * double(ep / 4) * nt;  // per warp and chunk
  const double chunks = double(pr.k / chunk_k);
  double slice_chunks = ceil_ratio(chunks, c.split_k);
  double tiles_per_slice = 0;
  if (per_tile) {
    tiles_per_slice = ceil_ratio(double(pr.k / vq.tile_cols), c.split_k);
    slice_chunks = tiles_per_slice * double(vq.tile_cols / chunk_k);
  }
  const double iters = ceil_ratio(slice_chunks, kg);

  // Blocks: the busiest SM runs ceil(blocks / SMs) of them, `conc` at a time.
  const BlockRounds br = block_rounds(double(g.blocks), sms, r.occ.blocks_per_sm, warps, r);
  const double blocks = br.blocks, conc = br.conc, rounds = br.rounds;
  const double warps_on_sm = br.warps_on_sm;

  // Codebook lookups of one warp and chunk: 16 per lane (16 warp requests).
  const TierFractions t = tier_fractions(p.cdf.data(), p.entries, 0, c.n_smem);
  r.frac_reg = 0;
  r.frac_smem = t.smem;
  r.frac_global = t.global;
  r.conflict_factor = 1;
  double lookup_wf = 0, lookup_lat = 0, miss_sectors = 0;
  if (smem) {
    const double q = p.sq_prefix[std::size_t(p.entries)];
    const int width = std::clamp(p.row_bytes, 4, 16);
    const double lanes_per_phase = 32.0 / std::max(1, 32 * width / 128);
    const double wf = smem_wavefronts_per_request(
        p.row_bytes, 32.0, distinct_fraction(lanes_per_phase, q), c.smem_copies);
    r.conflict_factor = wf * p.rates.inv_ideal_wavefronts;
    lookup_wf = 16.0 * wf;
    lookup_lat = k.gemm_smem_lookup_cycles;
  } else {
    // Through L1: the free L1 of the SM (what its blocks' shared memory leaves) keeps the
    // hottest rows of the levels' codebooks; each lane's row is its own line (wavefront), a miss
    // refills it from L2. A chunk waits for L2 when any of its 512 lookups misses.
    // The driver sets the SM's shared-memory carveout to the smallest supported size (H100:
    // 0, 8, 16, 32, 64, 100, 132, 164, 196, 228 KiB) that holds the blocks the occupancy
    // allows; L1 gets the rest.
    const double need = double(r.occ.smem_per_block_bytes) * std::max(1, r.occ.blocks_per_sm);
    double carveout = double(s.smem_per_sm_bytes);
    for (double kib : {0.0, 8.0, 16.0, 32.0, 64.0, 100.0, 132.0, 164.0, 196.0, 228.0})
      if (kib * 1024.0 >= need) {
        carveout = std::min(carveout, kib * 1024.0);
        break;
      }
    const double free_l1 = std::max(0.0, double(s.l1_per_sm_bytes) - carveout);
    const double cap = free_l1 * k.gemm_l1_capacity_efficiency / p.row_bytes / double(p.levels);
    // Interpolated between whole rows: the fit needs a hit share continuous in the capacity.
    const double lo = cache_hit_fraction(p.cdf.data(), p.entries, 0, std::floor(cap));
    const double hi = cache_hit_fraction(p.cdf.data(), p.entries, 0, std::floor(cap) + 1.0);
    r.l1_hit = lo + (hi - lo) * (cap - std::floor(cap));
    const double miss = 1.0 - r.l1_hit;
    lookup_wf = 16.0 * 32.0 * k.gemm_l1_wavefronts_per_lookup * (1.0 + miss * k.gemm_l1_miss_cost);
    const double any_miss = miss >= 1.0 ? 1.0 : 1.0 - std::exp(512.0 * std::log1p(-miss));
    lookup_lat = k.gemm_l1_lookup_cycles + any_miss * k.gemm_l2_lookup_cycles;
    miss_sectors = 16.0 * 32.0 * miss * std::max(1.0, p.row_bytes / 32.0);  // per warp chunk
  }
  // x: B-operand loads (ep halves per lane, nt token tiles per step), and the block's stage of
  // kg chunks per step (cp.async: L2 reads and shared-memory writes) shared by its warps.
  const double b_wf = steps * nt * double(ep) / 2.0;
  const double stage_bytes = double(kg) * c.tile_m * chunk_k * 2.0;  // per block step
  const double lsu = lookup_wf + b_wf + stage_bytes / 128.0 / warps;
  const double issue = 16.0 * k.gemm_issue_per_lookup + mmas * k.gemm_issue_per_mma + steps * nt;

  const double chain = k.gemm_chain_cycles + lookup_lat + issue;
  const double issue_sm = warps_on_sm * issue / s.sub_partitions_per_sm;
  const double lsu_sm = warps_on_sm * lsu;
  const double mma_sm = warps_on_sm * mmas * k.gemm_mma_cycles;
  // An SM's share of L2 bandwidth: its own port limit, or the L2 divided among the busy SMs.
  const double busy_sms = std::min(sms, blocks);
  const double fill_rate = std::min(
      k.gemm_fill_bytes_per_cycle, s.l2_bw_bytes_per_s() * k.gemm_l2_efficiency / (busy_sms * clk));
  const double stage_sm = conc * stage_bytes / fill_rate;
  const double lim[5] = {chain, issue_sm, lsu_sm, mma_sm, stage_sm};
  const double step = smooth_max(lim, 5, k.gemm_overlap_exponent);

  // Per block: codebook fill(s) (fill_smem_tier: each thread loads one row and stores it, so
  // a fill takes levels x entries / threads dependent L2 round trips, or the bytes at the SM's
  // share of L2 bandwidth, whichever is longer; the copies are written to shared memory),
  // prologue / epilogue, the split-k reduction of the last block (split_k planes of fp32).
  const double fill_bytes = smem ? double(p.levels) * double(p.entries) * p.row_bytes : 0.0;
  const double fills = per_tile ? tiles_per_slice : 1.0;
  const double fill_cycles =
      smem ? fills * (std::max(ceil_ratio(double(p.levels) * double(p.entries), c.threads) *
                                   k.gemm_fill_load_cycles,
                               conc * fill_bytes / fill_rate) +
                      fill_bytes * c.smem_copies / 128.0)
           : 0.0;
  // Split-k: every block writes its fp32 partial tile, the last of a tile reads split_k of them
  // (on average one plane per block) and that last one ends the kernel (a serial tail).
  const double tile_bytes = double(c.tile_m) * c.tile_n * 4.0;
  const double red_cycles =
      c.split_k > 1 ? conc * 2.0 * tile_bytes / fill_rate + k.gemm_splitk_cycles : 0.0;
  const double tail_cycles = c.split_k > 1 ? c.split_k * tile_bytes / fill_rate : 0.0;
  const double block_cycles = iters * step + fill_cycles + k.gemm_block_cycles + red_cycles;
  const double sm_s = (rounds * block_cycles + tail_cycles) / clk;

  // Bytes: compulsory; codes re-read per token tile and x per row block from L2; the fills;
  // split-k partials written and read back (fp32).
  const double partial_bytes =
      c.split_k > 1 ? double(c.split_k) * double(pr.m) * double(pr.n) * 4.0 * 2.0 : 0.0;
  r.hbm_bytes = p.compulsory_hbm_bytes + partial_bytes;
  const double warp_chunks = blocks * warps * iters;
  r.l2_bytes = r.hbm_bytes + g.extra_l2_bytes + blocks * fills * fill_bytes +
               warp_chunks * miss_sectors * 32.0 * k.gemm_l2_scatter_cost;
  r.hbm_s = r.hbm_bytes / (s.hbm_bw_bytes_per_s() * k.gemm_hbm_efficiency);
  r.l2_s = r.l2_bytes / (s.l2_bw_bytes_per_s() * k.gemm_l2_efficiency);
  r.l1_sectors = smem ? 0.0 : g.lookups * std::max(1.0, p.row_bytes / 32.0);
  r.smem_wavefronts = warp_chunks * lsu;
  r.reg_lookups = 0;
  r.cuda_core_ops = warp_chunks * 32.0 * issue;
  r.tensor_flops = g.tensor_flops;
  r.smem_s = rounds * iters * lsu_sm / clk;
  r.compute_s = rounds * iters * std::max(issue_sm, mma_sm) / clk;
  r.latency_s = rounds * iters * chain / clk;
  r.fill_s = rounds * fill_cycles / clk;
  r.reduction_s = (rounds * red_cycles + tail_cycles) / clk;
  r.launch_s = k.gemm_base_s;
  r.second_kernel_s = 0;
  const double main_lim[3] = {sm_s, r.hbm_s, r.l2_s};
  r.time_s = smooth_max(main_lim, 3, k.gemm_overlap_exponent) + r.launch_s;

  r.bound = largest_bound(r.hbm_s, {{r.l2_s, Bound::l2},
                                    {r.latency_s, Bound::l2},
                                    {r.smem_s, Bound::smem},
                                    {r.compute_s, Bound::compute},
                                    {r.fill_s + r.reduction_s + r.launch_s, Bound::launch}});
}

}  // namespace vqt::detail
