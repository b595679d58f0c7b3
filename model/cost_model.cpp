// predict(): combines the terms of model/terms.hpp for one candidate. See cost_model.hpp for the
// formula and docs/model.md for the assumptions.
#include "model/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/detail/attention_model.hpp"
#include "model/detail/gemm_model.hpp"
#include "model/detail/gemv_model.hpp"
#include "model/detail/geometry.hpp"
#include "model/terms.hpp"

namespace vqt {

namespace {

constexpr double kSectorBytes = 32.0;

// The overlapping part of one kernel's time, and the terms that add to it.
void kernel_terms(const PreparedProblem& p, const Candidate& c, const detail::Geometry& g,
                  Prediction& r) {
  const GpuSpec& s = p.spec;
  const ModelCoefficients& k = p.coef;
  const auto& rt = p.rates;
  const int sms = s.sm_count;

  // Occupancy (computed by predict(), > 0 blocks per SM) and waves.
  const int bps = r.occ.blocks_per_sm;
  const std::int64_t slots = std::int64_t(sms) * bps;
  // Per-SM throughput (shared memory, issue) follows the busiest SM, which runs
  // ceil(blocks / SMs) blocks whatever the blocks per SM; waves of resident slots set the fills.
  r.wave_eff = wave_efficiency(g.blocks, sms);
  r.waves = double((g.blocks + slots - 1) / slots);
  const double warps_per_block = double(c.threads / 32);
  const double resident_warps = double(std::min<std::int64_t>(g.blocks, slots)) * warps_per_block;

  // Placement tiers.
  const TierFractions t = tier_fractions(p.cdf.data(), p.entries, c.n_reg, c.n_smem);
  r.frac_reg = t.reg;
  r.frac_smem = t.smem;
  r.frac_global = t.global;
  const double requests = g.lookups / 32.0;  // warp-wide lookup instructions
  r.reg_lookups = g.lookups * t.reg;

  // Shared memory: lookups of the smem tier (bank conflicts) and tile staging.
  double smem_wf = g.stage_smem_traffic / 128.0;
  r.conflict_factor = 1.0;
  if (t.smem > 0) {
    const double touch = warp_touch_probability(t.smem);
    const double active = 32.0 * t.smem / touch;
    const double mass = t.smem;
    const double q =
        (p.sq_prefix[std::size_t(c.n_smem)] - p.sq_prefix[std::size_t(c.n_reg)]) / (mass * mass);
    const int width = std::clamp(p.row_bytes, 4, 16);
    const double lanes_per_phase = active / std::max(1, 32 * width / 128);
    const double distinct = distinct_fraction(lanes_per_phase, q);
    const double wf = smem_wavefronts_per_request(p.row_bytes, active, distinct, c.smem_copies);
    r.conflict_factor = wf * p.rates.inv_ideal_wavefronts;
    smem_wf += requests * touch * wf;
  }

  // Global lookups: L1 (unless bypassed), then L2, then HBM.
  const double sectors_per_lookup = std::max(1.0, p.row_bytes / kSectorBytes);
  const double glob_lookups = g.lookups * t.global;
  r.l1_sectors = glob_lookups * sectors_per_lookup;
  const double row = double(p.row_bytes);
  if (t.global > 0) {
    const double free_l1 =
        std::max(0.0, double(s.l1_per_sm_bytes) - double(r.occ.smem_per_block_bytes) * bps);
    const double resident_cbs = g.resident_codebooks_shared
                                    ? double(g.codebooks_per_block)
                                    : double(g.codebooks_per_block) * std::max(1, bps);
    const double l1_entries = free_l1 * rt.l1_entries_per_byte / resident_cbs;
    r.l1_hit =
        c.l1_bypass ? 0.0 : cache_hit_fraction(p.cdf.data(), p.entries, c.n_smem, l1_entries);
    r.l2_hit = cache_hit_fraction(p.cdf.data(), p.entries, c.n_smem, rt.l2_entries);
  }
  // Scattered lookups pass L1 one 128-byte line (wavefront) at a time; a miss adds the fill.
  const double l1_wf = glob_lookups * k.l1_wavefronts_per_lookup *
                       (1.0 + (c.l1_bypass ? 0.0 : (1.0 - r.l1_hit) * k.l1_miss_cost));
  smem_wf += l1_wf;
  r.smem_wavefronts = smem_wf;
  const double inv_wave_eff = 1.0 / r.wave_eff;
  r.smem_s = smem_wf * rt.smem_s_per_wavefront * inv_wave_eff;

  // Codebook fills: the on-chip part, once per block (and per codebook tile).
  const double fill_bytes_block = (double(c.n_smem - c.n_reg) * row * g.codebooks_per_block +
                                   double(c.n_reg) * row * g.codebooks_per_thread) *
                                  g.fills_per_block;
  const double glob_l2_sectors = r.l1_sectors * (1.0 - r.l1_hit);
  // A persistent block fills a per-tensor codebook once, whatever the items it runs.
  const double fill_blocks = g.persistent && g.resident_codebooks_shared
                                 ? double(std::min<std::int64_t>(g.blocks, slots))
                                 : double(g.blocks);
  r.l2_bytes = p.compulsory_hbm_bytes + g.extra_hbm_bytes + g.extra_l2_bytes +
               glob_l2_sectors * kSectorBytes + fill_bytes_block * fill_blocks;
  r.hbm_bytes = p.compulsory_hbm_bytes + g.extra_hbm_bytes +
                glob_l2_sectors * (1.0 - r.l2_hit) * kSectorBytes;

  const double bw_factor = bandwidth_wave_factor(r.wave_eff, k.wave_saturation);
  // Achievable HBM bandwidth: the coefficient, or Little's law over the resident warps.
  const double hbm_bw =
      std::min(rt.hbm_bytes_per_s, resident_warps * rt.hbm_little_bytes_per_s_per_warp);
  r.hbm_s = r.hbm_bytes / hbm_bw * bw_factor;
  r.l2_s = r.l2_bytes * rt.l2_s_per_byte * bw_factor;

  // CUDA-core work: index unpack, register-tier selects, dequant adds, FMAs, shuffles; tensor work.
  // A warp with any lane in the global tier issues that path too (address, load, merge).
  const double global_touch = warp_touch_probability(t.global);
  r.cuda_core_ops = g.lookups * (rt.dequant_ops_per_lookup +
                                 reg_select_ops(c.n_reg, p.vec_size, k.reg_select_ops_per_level) +
                                 global_touch * k.global_path_ops) +
                    g.fma_ops * k.fma_ops_per_mac + g.extra_cuda_ops;
  r.tensor_flops = g.tensor_flops;
  const double cuda_s = r.cuda_core_ops * rt.cuda_s_per_op;
  const double tensor_s = g.tensor_flops * rt.tensor_s_per_flop;
  r.compute_s = std::max(cuda_s, tensor_s) * inv_wave_eff;

  // Latency of dependent global lookups (Little's law over the resident warps).
  if (t.global > 0) {
    const double glob_requests = requests * global_touch;
    r.latency_s =
        lookup_latency_s(glob_requests / resident_warps, r.l1_hit, r.l2_hit, k.l1_latency_s,
                         k.l2_latency_s, k.hbm_latency_s, k.lookups_in_flight_per_warp);
  }

  // Only a block's first fill is exposed; later ones (next codebook tile) are prefetched.
  r.fill_s = fill_exposed_s(fill_bytes_block / g.fills_per_block, bps, r.waves,
                            rt.fill_s_per_byte_per_sm, k.fill_exposed_fraction);
  r.reduction_s = reduction_bytes(g.reduction_outputs, g.splits) * rt.l2_s_per_byte;
  const int kernels = g.kernels + (g.splits > 1 ? 1 : 0);  // + zero-init / combine kernel
  r.launch_s = launch_time_s(kernels, s.launch_overhead_s(), k.launch_overlap);
}

}  // namespace

bool runnable(const PreparedProblem& p, const Candidate& c) {
  detail::Geometry g;
  if (detail::geometry(p, c, g)) return false;
  return p.occupancy_table.lookup(c.threads, g.regs, int(g.smem_bytes)).blocks_per_sm > 0;
}

std::string can_run(const PreparedProblem& p, const Candidate& c) {
  detail::Geometry g;
  if (const char* why = detail::geometry(p, c, g)) {
    std::string s = why;
    if (g.smem_bytes > p.spec.max_smem_per_block_bytes)
      s += " (" + std::to_string(g.smem_bytes) + " > " +
           std::to_string(p.spec.max_smem_per_block_bytes) + " bytes on " + p.spec.key + ")";
    else if (g.regs > p.spec.max_regs_per_thread)
      s += " (" + std::to_string(g.regs) + " > " + std::to_string(p.spec.max_regs_per_thread) + ")";
    return s;
  }
  const Occupancy o = p.occupancy_table.lookup(c.threads, g.regs, int(g.smem_bytes));
  if (o.blocks_per_sm == 0)
    return std::string("no block fits on an SM (limit: ") + to_string(o.limit) + ")";
  return "";
}

std::string can_run(const Problem& problem, const Candidate& c, const GpuSpec& spec) {
  const std::int64_t entries = problem.vq.stored_entries();
  std::vector<double> uniform(static_cast<std::size_t>(entries));
  for (std::int64_t i = 0; i < entries; ++i)
    uniform[std::size_t(i)] = double(i + 1) / double(entries);
  return can_run(prepare(problem, spec, ModelCoefficients{}, std::move(uniform), "uniform"), c);
}

Prediction predict(const PreparedProblem& p, const Candidate& c) {
  detail::Geometry g;
  Occupancy occ;
  if (detail::geometry(p, c, g) != nullptr ||
      (occ = p.occupancy_table.lookup(c.threads, g.regs, int(g.smem_bytes))).blocks_per_sm == 0) {
    Prediction bad{};
    bad.ideal_s = p.ideal_s;
    bad.occ = occ;
    bad.time_s = std::numeric_limits<double>::infinity();
    return bad;
  }
  Prediction r;  // every field is assigned below or in kernel_terms()
  r.ideal_s = p.ideal_s;
  r.blocks = g.blocks;
  r.regs_per_thread = g.regs;
  r.smem_bytes_per_block = int(g.smem_bytes);
  r.occ = occ;
  r.l1_hit = 0;
  r.l2_hit = 0;
  r.latency_s = 0;
  r.second_kernel_s = 0;
  r.valid = true;
  if (p.problem.op == Op::gemv) {
    detail::gemv_kernel_terms(p, c, g, r);
    return r;
  }
  if (p.problem.op == Op::gemm) {
    detail::gemm_kernel_terms(p, c, g, r);
    return r;
  }
  if (p.problem.op == Op::attention_decode) {
    detail::attention_kernel_terms(p, c, g, r);
    return r;
  }
  kernel_terms(p, c, g, r);

  // The overlapping levels; the largest binds.
  double main_s = r.hbm_s;
  r.bound = Bound::hbm;
  auto consider = [&](double x, Bound b) {
    if (x > main_s) {
      main_s = x;
      r.bound = b;
    }
  };
  consider(r.l2_s, Bound::l2);
  consider(std::max(r.latency_s, 0.0), Bound::l2);
  consider(r.smem_s, Bound::smem);
  consider(r.compute_s, Bound::compute);

  if (c.fusion == Fusion::unfused) {
    // Second kernel: fp16 GEMM on the dequantized weights (cuBLAS-like, tensor cores).
    const Problem& pr = p.problem;
    const GpuSpec& s = p.spec;
    const double bytes = double(pr.n) * double(pr.k) * 2.0 + p.activation_bytes + p.output_bytes;
    r.tensor_flops = p.tensor_flops;
    r.hbm_bytes += bytes;
    r.l2_bytes += bytes;
    r.second_kernel_s =
        std::max(p.tensor_flops / (s.fp16_tensor_flops_per_s() * p.coef.tensor_efficiency),
                 bytes / (s.hbm_bw_bytes_per_s() * p.coef.hbm_efficiency));
    if (r.second_kernel_s > main_s)
      r.bound = p.tensor_flops / s.fp16_tensor_flops_per_s() > bytes / s.hbm_bw_bytes_per_s()
                    ? Bound::compute
                    : Bound::hbm;
  }
  if (r.launch_s > main_s + r.second_kernel_s) r.bound = Bound::launch;
  r.time_s = main_s + r.second_kernel_s + r.fill_s + r.reduction_s + r.launch_s;
  return r;
}

}  // namespace vqt
