#include "model/detail/attention_model.hpp"

#include <algorithm>
#include <cmath>

#include "model/detail/combine.hpp"
#include "model/terms.hpp"

namespace vqt::detail {

namespace {

constexpr double kEntries = 256;  // 8-bit CQ codes

}  // namespace

int attention_cq_regs(int v, int warps) {
  // cq_decode_split_kernel<V, Warps, MinBlocks> of kernels/attention_cq.cu, read with
  // `nvcc --resource-usage` (CUDA 13.0, sm_90a, -O3): v 2 (min blocks 1) 80 / 80, v 4 (min
  // blocks 2, so at most 64 at 512 threads) 80 / 64 registers at 8 / 16 warps.
  if (v <= 2) return 80;
  return warps >= 16 ? 64 : 80;
}

void attention_kernel_terms(const PreparedProblem& p, const Candidate& c, const Geometry& g,
                            Prediction& r) {
  const GpuSpec& s = p.spec;
  const ModelCoefficients& k = p.coef;
  const Problem& pr = p.problem;
  const double clk = s.boost_clock_hz;
  const double sms = s.sm_count;
  const int v = p.vec_size;
  const double groups = double(pr.head_dim / v);  // codebooks per head (K or V)
  const double gpl = std::max(1.0, groups / 32);  // groups per lane
  const int warps = c.threads / 32;

  // Blocks: the busiest SM runs ceil(blocks / SMs) of them, `conc` at a time.
  const BlockRounds br = block_rounds(double(g.blocks), sms, r.occ.blocks_per_sm, warps, r);
  const double blocks = br.blocks, conc = br.conc, rounds = br.rounds;
  const double warps_on_sm = br.warps_on_sm;

  // One warp's 16-token tile: 16 K-table and 16 V-codebook lookups per group of the lane, v FMAs
  // per V lookup, the transpose reduction and the online softmax (attn_issue_per_tile).
  const double tokens = std::min(double(c.tile_n), double(pr.context));
  const double iters = ceil_ratio(ceil_ratio(tokens, 16), warps);
  const double lookups = 16.0 * gpl;
  const double issue = k.attn_issue_per_tile + lookups * (k.attn_issue_per_lookup + v);
  // Shared memory: table reads (4 bytes a lane: one wavefront), V rows (v x 2 bytes a lane),
  // the codes (two 16-byte loads per group a lane: four wavefronts each).
  const double lsu = lookups * (1.0 + std::max(1.0, v * 2.0 * 32 / 128)) + 2.0 * gpl * 4.0;
  const double chain = k.attn_chain_cycles + issue;
  const double issue_sm = warps_on_sm * issue / s.sub_partitions_per_sm;
  const double lsu_sm = warps_on_sm * lsu;
  const double lim[4] = {chain, k.attn_stream_cycles, issue_sm, lsu_sm};
  const double step = smooth_max(lim, 4, k.attn_overlap_exponent);

  // Setup: K and V codebooks of the kv head from L2 at the SM's share, the query x centroid
  // table (256 x groups entries of v FMAs) over the block's threads; the warps' merge.
  const double cb_bytes = kEntries * groups * v * 2.0;  // one of K / V
  const double setup = k.attn_setup_cycles + conc * 2.0 * cb_bytes / k.attn_fill_bytes_per_cycle +
                       kEntries * groups / c.threads * k.attn_table_cycles_per_entry;
  const double block_cycles = setup + iters * step + k.attn_block_cycles;
  const double sm_s = rounds * block_cycles / clk;

  // Bytes: codes once per kv head from HBM, once per query head from L2; codebooks per block
  // from L2; split partials written and read by the combine kernel.
  const double q_per_kv = double(pr.q_heads / pr.kv_heads);
  const double codes = double(pr.batch * pr.kv_heads) * double(pr.context) * groups * 2.0;
  const double partials =
      c.split_k > 1 ? double(pr.batch * pr.q_heads) * c.split_k * double(pr.head_dim + 2) * 4.0
                    : 0.0;
  r.hbm_bytes = p.compulsory_hbm_bytes + 2.0 * partials;
  r.l2_bytes = r.hbm_bytes + codes * (q_per_kv - 1.0) + blocks * 2.0 * cb_bytes;
  r.hbm_s = r.hbm_bytes / (s.hbm_bw_bytes_per_s() * k.attn_hbm_efficiency);
  r.l2_s = r.l2_bytes / (s.l2_bw_bytes_per_s() * k.attn_l2_efficiency);
  const double combine_s =
      c.split_k > 1 ? k.attn_combine_s + partials / (s.hbm_bw_bytes_per_s() * k.attn_hbm_efficiency)
                    : 0.0;

  r.frac_reg = 0;
  r.frac_smem = 1;
  r.frac_global = 0;
  r.conflict_factor = 1;
  const double warp_tiles = blocks * warps * iters;
  r.l1_sectors = 0;
  r.smem_wavefronts = warp_tiles * lsu;
  r.reg_lookups = 0;
  r.cuda_core_ops = warp_tiles * 32.0 * issue;
  r.tensor_flops = 0;
  r.smem_s = rounds * iters * lsu_sm / clk;
  r.compute_s = rounds * iters * issue_sm / clk;
  r.latency_s = rounds * iters * std::max(chain, k.attn_stream_cycles) / clk;
  r.fill_s = rounds * setup / clk;
  r.reduction_s = 0;
  r.launch_s = k.attn_base_s;
  r.second_kernel_s = combine_s;
  const double main_lim[3] = {sm_s, r.hbm_s, r.l2_s};
  r.time_s = smooth_max(main_lim, 3, k.attn_overlap_exponent) + r.launch_s + combine_s;

  r.bound = largest_bound(r.hbm_s, {{r.l2_s, Bound::l2},
                                    {r.latency_s, Bound::l2},
                                    {r.smem_s, Bound::smem},
                                    {r.compute_s, Bound::compute},
                                    {r.fill_s + r.launch_s + combine_s, Bound::launch}});
}

}  // namespace vqt::detail
