#include "model/detail/gemv_model.hpp"

#include <algorithm>
#include <cmath>

#include "model/terms.hpp"

namespace vqt::detail {

namespace {

constexpr double kSectorBytes = 32.0;
constexpr double kLineBytes = 128.0;
constexpr double kCodesPerLaneChunk = 16;  // one 16-byte code load per lane and chunk
constexpr double kLanes = 32;

// Probability that at least one of `n` independent lookups falls in a tier holding `f` of them.
double any_of(double f, double n) {
  if (f <= 0) return 0.0;
  if (f >= 1) return 1.0;
  return 1.0 - std::exp(n * std::log1p(-f));
}

// Registers of the fused GEMV instances, read with `nvcc --resource-usage` (CUDA 13.0, sm_90a,
// -O3, __launch_bounds__(512)) at build a2d4002: [v 2/4/8][r 1/2][hi bits 0/4/8][tier], and the
// quip#-4 lattice kernel. tests/kernels checks them against cudaFuncGetAttributes on a GPU.
constexpr int kRegs[3][2][3][3] = {
    {{{64, 64, 64}, {64, 84, 76}, {64, 82, 82}}, {{60, 64, 64}, {64, 64, 82}, {64, 64, 87}}},
    {{{76, 84, 78}, {82, 86, 82}, {64, 98, 86}}, {{64, 80, 104}, {64, 90, 111}, {76, 92, 110}}},
    {{{78, 90, 96}, {86, 104, 100}, {88, 102, 104}},
     {{90, 102, 128}, {90, 102, 128}, {86, 104, 128}}},
};
constexpr int kLatticeRegs[3] = {103, 102, 128};

}  // namespace

int gemv_kernel_regs(int v, int levels, int index_bits, bool lattice, int tier) {
  tier = std::clamp(tier, 0, 2);
  if (lattice) return kLatticeRegs[tier];
  const int vi = v <= 2 ? 0 : v <= 4 ? 1 : 2;
  const int ri = levels <= 1 ? 0 : 1;
  const int hi = index_bits <= 8 ? 0 : index_bits <= 12 ? 1 : 2;
  return kRegs[vi][ri][hi][tier];
}

void gemv_kernel_terms(const PreparedProblem& p, const Candidate& c, const Geometry& g,
                       Prediction& r) {
  const GpuSpec& s = p.spec;
  const ModelCoefficients& k = p.coef;
  const auto& rt = p.rates;
  const Problem& pr = p.problem;
  const VqConfig& vq = pr.vq;
  const double clk = s.boost_clock_hz;
  const double sms = s.sm_count;
  const int warps = c.threads / 32;
  const bool per_tile = vq.scope == Scope::per_tile;

  // Persistent grid: items run by min(items, resident slots) blocks; the busiest SM holds
  // ceil(grid / SMs) blocks and its blocks ceil(items / grid) items each.
  const double items = double(g.blocks);
  const double slots = sms * r.occ.blocks_per_sm;
  const double grid = std::min(items, slots);
  const double items_per_block = ceil_ratio(items, grid);
  const double blocks_on_sm = ceil_ratio(grid, sms);
  r.waves = items_per_block;
  r.wave_eff = items / (items_per_block * blocks_on_sm * sms);

  // Chunk steps of the busiest warp.
  const int chunk_k = gemv_chunk_k(p.vec_size, p.levels);
  const double chunks = double(pr.k / chunk_k);
  double chunks_per_item = ceil_ratio(chunks, c.split_k);
  double tiles_per_item = 0;
  if (per_tile) {
    const double tiles = double(pr.k / vq.tile_cols);
    tiles_per_item = ceil_ratio(tiles, c.split_k);
    chunks_per_item = tiles_per_item * double(vq.tile_cols / chunk_k);
  }
  const double steps = items_per_block * chunks_per_item;

  // Codebook tiers of one chunk: 16 lookup instructions per warp, 512 lookups.
  const TierFractions t = tier_fractions(p.cdf.data(), p.entries, c.n_reg, c.n_smem);
  r.frac_reg = t.reg;
  r.frac_smem = t.smem;
  r.frac_global = t.global;
  const double lookups_chunk = kCodesPerLaneChunk * kLanes;
  double smem_wf = 0;
  r.conflict_factor = 1.0;
  const double touch_smem = warp_touch_probability(t.smem);
  if (t.smem > 0) {
    const double active = kLanes * t.smem / touch_smem;
    const double q = (p.sq_prefix[std::size_t(c.n_smem)] - p.sq_prefix[std::size_t(c.n_reg)]) /
                     (t.smem * t.smem);
    const int width = std::clamp(p.row_bytes, 4, 16);
    const double lanes_per_phase = active / std::max(1, 32 * width / 128);
    const double wf = smem_wavefronts_per_request(
        p.row_bytes, active, distinct_fraction(lanes_per_phase / c.smem_copies, q), c.smem_copies);
    r.conflict_factor = wf * rt.inv_ideal_wavefronts;
    smem_wf = kCodesPerLaneChunk * touch_smem * wf;
  }
  // Global lookups: each lane's row is its own L1 line (one wavefront each), a miss refills it.
  const double glob_lookups_chunk = lookups_chunk * t.global;
  r.l1_hit = 0;
  r.l2_hit = 0;
  if (t.global > 0) {
    const double free_l1 = std::max(
        0.0, double(s.l1_per_sm_bytes) - double(r.occ.smem_per_block_bytes) * blocks_on_sm);
    const double resident_cbs = per_tile ? double(p.levels) * blocks_on_sm : double(p.levels);
    r.l1_hit = c.l1_bypass ? 0.0
                           : cache_hit_fraction(p.cdf.data(), p.entries, c.n_smem,
                                                free_l1 * rt.l1_entries_per_byte / resident_cbs);
    r.l2_hit = cache_hit_fraction(p.cdf.data(), p.entries, c.n_smem, rt.l2_entries);
  }
  const double glob_wf = glob_lookups_chunk * k.l1_wavefronts_per_lookup *
                         (1.0 + (c.l1_bypass ? 0.0 : (1.0 - r.l1_hit) * k.l1_miss_cost));
  // Activation loads: in each step lane (g, t) of n-tile nt reads 16 bytes of x row g + 8 nt, so a
  // request touches one 128-byte line per live batch row (8 per full n8 tile, 1 at batch 1).
  const double x_lines_step = double(std::min<std::int64_t>(pr.m, 16));
  const double x_wf = double(gemv_steps_per_chunk(p.vec_size, p.levels)) * x_lines_step;
  const double lsu = smem_wf + glob_wf + x_wf + k.lsu_wavefronts_per_code_load;

  // Warp instructions of one chunk: decode per code, register-tier selects, the global path when
  // any lane of a request goes global, the mmas (batch padded to one or two n8 tiles).
  const double touch_glob = warp_touch_probability(t.global);
  // One path: every lookup is a shared-memory read (the kernel's all-smem loop) or a global one
  // (global-only instance); no per-lookup tier test, and the lookups of a chunk are independent
  // loads the compiler issues back to back. Otherwise each lookup tests its tier and branches.
  const bool one_path = c.n_reg == 0 && (c.n_smem == 0 || c.n_smem >= p.entries);
  const double mmas = double(chunk_k / 16) * (pr.m <= 8 ? 1.0 : 2.0);
  const double issue = kCodesPerLaneChunk * (k.gemv_issue_per_code + rt.dequant_ops_per_lookup +
                                             (c.n_reg > 0 ? k.reg_select_issue_per_code : 0.0) +
                                             (one_path ? 0.0 : k.tier_test_issue_per_code) +
                                             touch_glob * k.global_path_ops) +
                       mmas * k.gemv_issue_per_mma;

  // Latency of one chunk step of one warp: its slowest lookup (a miss anywhere in the chunk
  // waits for L2), plus its own issue and wavefronts, plus the chain.
  double lookup_lat_s = 0;
  const double any_global = any_of(t.global, lookups_chunk);
  if (t.global > 0) {
    double miss = c.l1_bypass ? 1.0 : any_of(1.0 - r.l1_hit, glob_lookups_chunk);
    // The global-only loop's lookups are L1 hits issued right behind the step's x loads, and
    // L1 returns a warp's loads in order: a step whose x lines miss L1 holds them for the L2
    // round trip (counted: the same hit rate at batch 16 and 1, longer L1TEX waits at 16;
    // fitted 0.28 per line). Fitted with the tiered loop as well it goes to 0.02 and helps
    // nothing: there the shared-memory lookups and the tier tests come between.
    if (one_path && !c.l1_bypass)
      miss = 1.0 - (1.0 - miss) * (1.0 - any_of(k.x_l1_miss_per_line, x_lines_step));
    const double l2_or_hbm = r.l2_hit * k.l2_latency_s + (1 - r.l2_hit) * k.hbm_latency_s;
    lookup_lat_s = any_global * (k.l1_latency_s + miss * (l2_or_hbm - k.l1_latency_s));
  }
  if (t.smem > 0) lookup_lat_s += (1.0 - any_global) * k.smem_latency_s;
  // A lane's 16 lookups of a chunk go out in groups of the lookups a warp overlaps.
  const double in_flight = one_path ? k.pipelined_lookups_in_flight : k.lookups_in_flight_per_warp;
  lookup_lat_s *= kCodesPerLaneChunk / std::min(kCodesPerLaneChunk, in_flight);
  // Lookups through L1 queue behind the step's activation loads in the L1 pipeline (the shared-
  // memory path does not): a wait per x line of the chunk.
  const double x_wait = (t.global > 0 && !c.l1_bypass) ? x_wf * k.x_line_wait_cycles : 0.0;
  // The mmas of a chunk accumulate into one fragment per n-tile, one k16 tile after the other: a
  // dependent chain per warp (its latency, not the SM's tensor throughput).
  const double mma_chain = double(chunk_k / 16) * k.gemv_mma_chain_cycles;
  // The register tier's compare/select chain, one select per 32-bit word of an entry (the
  // coefficient is per code of a v = 8 entry): latency in the warp's chunk beyond its issue
  // slots (one warp per scheduler waits it out; with more, others issue meanwhile).
  const double reg_chain =
      c.n_reg > 0 ? kCodesPerLaneChunk * k.reg_select_chain_cycles_per_code * (p.vec_size / 8.0)
                  : 0.0;
  const double chain_cycles =
      k.gemv_chain_cycles + lookup_lat_s * clk + issue + lsu + x_wait + mma_chain + reg_chain;
  const double stream_cycles = k.hbm_latency_s * clk;
  // The busiest warp's latency: its items one after another, each restarting the code prefetch
  // and ending with its epilogue (split-k atomics, flag).
  const double lat_limits[2] = {chain_cycles, stream_cycles};
  // Per-tile codebooks: every tile column restarts the code prefetch (Warp::run per column) behind
  // the block's two barriers around the double-buffered fill.
  const double item_cycles =
      k.gemv_item_cycles + (c.split_k > 1 ? k.gemv_split_item_cycles : 0.0) +
      (per_tile ? tiles_per_item * (k.gemv_tile_cycles + warps * k.gemv_tile_warp_cycles) : 0.0);
  // One item's chain; the busiest warp runs items_per_block of them, one per round (below).
  const double item_chain_s =
      (chunks_per_item * smooth_max(lat_limits, 2, k.overlap_exponent) + item_cycles) / clk;
  // The busiest SM (SM 0: blocks 0, SMs, 2 SMs, ...) runs its blocks in rounds of one item each:
  // `full_rounds` with all of them, then one with only its blocks that got an extra item. Its
  // pipes (4 issue slots, one L1 wavefront per cycle) serve the warp chunks of all those items.
  const double full_rounds = std::floor(items / grid);
  const double extra_blocks = std::min(blocks_on_sm, ceil_ratio(items - full_rounds * grid, sms));
  const double block_items = full_rounds * blocks_on_sm + extra_blocks;
  const double sm_chunks = block_items * warps * chunks_per_item;
  const double issue_s = sm_chunks * issue / (s.sub_partitions_per_sm * k.fp32_efficiency) / clk;
  const double lsu_s = sm_chunks * lsu / k.smem_efficiency / clk;

  // Bytes: compulsory (codes, codebooks, x, y), x re-read from L2 by every row block, global
  // lookups that miss L1 (32-byte sectors), fills and split-k partials.
  const double total_chunks = double(ceil_ratio(double(pr.n), 16.0)) * chunks;
  const double fill_bytes = c.n_smem > 0 ? double(c.n_smem) * p.row_bytes * p.levels : 0.0;
  const double fills = per_tile ? items * tiles_per_item : std::min(items, slots);
  const double red_bytes = reduction_bytes(double(pr.m * pr.n), c.split_k) * k.atomic_cost_factor;
  const double glob_sectors = total_chunks * glob_lookups_chunk *
                              std::max(1.0, p.row_bytes / kSectorBytes) * (1.0 - r.l1_hit);
  r.hbm_bytes = p.compulsory_hbm_bytes + glob_sectors * (1.0 - r.l2_hit) * kSectorBytes;
  r.l2_bytes = p.compulsory_hbm_bytes + g.extra_l2_bytes + glob_sectors * kSectorBytes +
               fills * fill_bytes + red_bytes;
  r.l1_sectors = total_chunks * glob_lookups_chunk * std::max(1.0, p.row_bytes / kSectorBytes);
  r.smem_wavefronts = total_chunks * smem_wf;
  r.lsu_wavefronts = total_chunks * lsu;
  r.reg_lookups = total_chunks * lookups_chunk * t.reg;
  r.cuda_core_ops = total_chunks * kLanes * issue;
  r.tensor_flops = g.tensor_flops;
  r.hbm_s = r.hbm_bytes / rt.hbm_bytes_per_s;
  r.l2_s = r.l2_bytes * rt.l2_s_per_byte;
  r.smem_s = lsu_s;
  r.compute_s = issue_s;
  r.latency_s = steps * std::max(chain_cycles, stream_cycles) / clk;

  // Fills: the first of a block is exposed whole (its SM's blocks fill together from L2), the
  // later per_tile ones (double-buffered) by fill_exposed_fraction; shared-memory writes of the
  // copies at one wavefront per cycle.
  if (fill_bytes > 0) {
    const double one = fill_bytes * blocks_on_sm * rt.fill_s_per_byte_per_sm +
                       fill_bytes * c.smem_copies * blocks_on_sm / 128.0 / clk;
    const double later = per_tile ? items_per_block * tiles_per_item - 1.0 : 0.0;
    r.fill_s = one * (1.0 + later * k.fill_exposed_fraction);
  } else {
    r.fill_s = 0;
  }
  r.reduction_s = red_bytes * rt.l2_s_per_byte;
  r.launch_s = k.gemv_base_s;
  r.second_kernel_s = 0;

  // L2: streamed bytes plus the scattered lookup sectors that miss L1 (at their own cost).
  const double l2_busy_s =
      (r.l2_bytes + glob_sectors * kSectorBytes * (k.l2_scatter_cost - 1.0)) * rt.l2_s_per_byte;
  // Hot spot: lookups that reach L2 with the hottest entries (L1 bypass) queue at the one slice
  // holding each codebook's hottest global 128-byte line (entries are stored hottest first, a
  // line lives in one slice); a warp request touching it costs one request there. Codebooks in
  // flight at once (levels, per_tile instances of the blocks running) spread that over as many
  // slices.
  double hot_s = 0;
  if (c.l1_bypass && t.global > 0) {
    const int per_line = std::max(1, int(kLineBytes) / p.row_bytes);
    const std::int64_t first = c.n_smem, last = std::min<std::int64_t>(first + per_line, p.entries);
    const double before = first > 0 ? p.cdf[std::size_t(first - 1)] : 0.0;
    const double p_hot = p.cdf[std::size_t(last - 1)] - before;  // share of all lookups
    const double requests = total_chunks * kCodesPerLaneChunk * any_of(p_hot, kLanes);
    double spread = double(p.levels);
    if (per_tile) spread *= std::max(1.0, std::min(grid, double(pr.n / vq.tile_rows)));
    hot_s = requests / (spread * k.l2_slice_requests_per_s);
  }
  // Each round is the smooth maximum of one item's chain and the round's share of the SM's pipe
  // work and of the GPU-wide HBM and L2 time, with p scaled by (warps on the SM / 16)^e. Per-
  // tensor codebooks: e <= -1, the max hardens as warps leave: a warp's own instructions and
  // wavefronts lie inside its chain, and with few warps little else queues in front of them (one
  // 4-warp block per SM runs its chain; a second costs 5 %, docs/model.md). Per-tile codebooks
  // have their own p and e (fitted > 0): a block's warps meet at two barriers every tile column,
  // so with few warps the fill and the chain add up.
  const double p0 = per_tile ? k.tile_overlap_exponent : k.overlap_exponent;
  const double pw = per_tile ? k.tile_overlap_warps_exponent : k.overlap_warps_exponent;
  auto round_s = [&](double active_blocks) {
    const double share = active_blocks / block_items;
    const double lim[6] = {item_chain_s,    issue_s * share,   lsu_s * share,
                           r.hbm_s * share, l2_busy_s * share, hot_s * share};
    const double p_round = std::max(1.0, p0 * std::pow(active_blocks * warps / 16.0, pw));
    return smooth_max(lim, 6, p_round);
  };
  const double main_s =
      full_rounds * round_s(blocks_on_sm) + (extra_blocks > 0 ? round_s(extra_blocks) : 0.0);
  r.time_s = main_s + r.fill_s + r.reduction_s + r.launch_s;
  // The bound: the largest of the limits, by where its time goes.
  r.l2_s = std::max(l2_busy_s, hot_s);
  // The code stream's round trips count as HBM time; the lookups' latency chain as l2.
  r.bound = largest_bound(std::max(r.hbm_s, steps * stream_cycles / clk),
                          {{r.l2_s, Bound::l2},
                           {steps * chain_cycles / clk, Bound::l2},
                           {r.smem_s, Bound::smem},
                           {r.compute_s, Bound::compute},
                           {r.fill_s + r.reduction_s + r.launch_s, Bound::launch}});
}

}  // namespace vqt::detail
