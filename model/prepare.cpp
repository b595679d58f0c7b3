// prepare(): the candidate-independent half of the cost model (counts of bytes, lookups, FLOPs,
// the histogram's CDF and its squared-probability prefix sums), computed once per problem.
#include <algorithm>
#include <cmath>

#include "model/cost_model.hpp"
#include "model/terms.hpp"
#include "vq/error.hpp"

namespace vqt {

const char* to_string(Bound b) {
  switch (b) {
    case Bound::hbm:
      return "hbm";
    case Bound::l2:
      return "l2";
    case Bound::smem:
      return "smem";
    case Bound::compute:
      return "compute";
    case Bound::launch:
      return "launch";
  }
  return "?";
}

std::vector<double> zipf_sorted_cdf(std::int64_t entries, double exponent) {
  if (entries <= 0) throw InputError("zipf_sorted_cdf: entries must be positive");
  std::vector<double> cdf(static_cast<std::size_t>(entries));
  double sum = 0;
  for (std::int64_t i = 0; i < entries; ++i) {
    sum += std::pow(double(i + 1), -exponent);
    cdf[std::size_t(i)] = sum;
  }
  for (auto& x : cdf) x /= sum;
  cdf.back() = 1.0;
  return cdf;
}

double dense_fp16_time_s(const PreparedProblem& p) {
  const Problem& pr = p.problem;
  const GpuSpec& s = p.spec;
  double bytes = p.activation_bytes + p.output_bytes;
  if (pr.op == Op::gemv || pr.op == Op::gemm)
    bytes += double(pr.n) * double(pr.k) * 2.0;
  else
    bytes += double(pr.batch * pr.kv_heads) * double(pr.context) * double(pr.head_dim) * 2.0 * 2.0;
  const double mem_s = bytes / (s.hbm_bw_bytes_per_s() * p.coef.hbm_efficiency);
  const double tc_s = p.tensor_flops / (s.fp16_tensor_flops_per_s() * p.coef.tensor_efficiency);
  return std::max(mem_s, tc_s) + s.launch_overhead_s() * (1.0 - p.coef.launch_overlap);
}

PreparedProblem prepare(const Problem& problem, const GpuSpec& spec, const ModelCoefficients& coef,
                        std::vector<double> cdf, std::string histogram_source) {
  problem.validate();
  coef.validate();
  PreparedProblem p;
  p.problem = problem;
  p.spec = spec;
  p.coef = coef;
  const VqConfig& vq = problem.vq;
  p.entries = vq.stored_entries();
  if (std::int64_t(cdf.size()) != p.entries)
    throw InputError("index histogram has " + std::to_string(cdf.size()) + " entries; " +
                     vq.describe() + " stores " + std::to_string(p.entries) + " per codebook");
  double prev = 0;
  for (double x : cdf) {
    if (!(x >= prev - 1e-12 && x <= 1.0 + 1e-9))
      throw InputError("index histogram CDF is not non-decreasing in [0, 1]");
    prev = x;
  }
  p.cdf = std::move(cdf);
  p.cdf.back() = 1.0;
  p.sq_prefix.assign(std::size_t(p.entries) + 1, 0.0);
  for (std::int64_t i = 0; i < p.entries; ++i) {
    const double pi = p.cdf[std::size_t(i)] - (i > 0 ? p.cdf[std::size_t(i - 1)] : 0.0);
    p.sq_prefix[std::size_t(i + 1)] = p.sq_prefix[std::size_t(i)] + pi * pi;
  }
  p.histogram_source = std::move(histogram_source);
  p.vec_size = vq.vec_size;
  p.levels = vq.residuals;
  p.row_bytes = vq.vec_size * 2;
  const double bits = vq.index_bits;
  const double cb_one = double(vq.codebook_bytes());  // one level, one instance

  switch (problem.op) {
    case Op::gemv:
    case Op::gemm: {
      const double n = double(problem.n), k = double(problem.k), m = double(problem.m);
      p.lookups = n * (k / vq.vec_size) * vq.residuals;
      p.codes_bytes = p.lookups * bits / 8.0;
      double instances = 1;
      if (vq.scope == Scope::per_tile)
        instances = double(problem.n / vq.tile_rows) * double(problem.k / vq.tile_cols);
      p.codebook_bytes = instances * vq.residuals * cb_one;
      p.live_codebooks = instances * vq.residuals;
      p.activation_bytes = m * k * 2;
      p.output_bytes = m * n * 2;
      if (problem.op == Op::gemv)
        p.fma_ops = m * n * k;
      else
        p.tensor_flops = 2 * m * n * k;
      break;
    }
    case Op::attention_decode:
    case Op::offload_decode:
    case Op::offload_prefill: {
      const int group =
          vq.scope == Scope::per_head_group ? vq.channel_group : int(problem.head_dim);
      p.codebook_groups = int(problem.head_dim / group);
      const double tokens = double(problem.batch * problem.kv_heads) * double(problem.context);
      p.lookups = tokens * double(problem.head_dim / vq.vec_size) * 2.0 * vq.residuals;  // K, V
      p.codes_bytes = p.lookups * bits / 8.0;
      p.live_codebooks = double(problem.kv_heads) * 2.0 * p.codebook_groups * vq.residuals;
      p.codebook_bytes = p.live_codebooks * cb_one;
      p.activation_bytes = double(problem.batch * problem.q_heads * problem.head_dim) * 2;
      p.output_bytes = p.activation_bytes;
      p.fma_ops = 2.0 * double(problem.batch * problem.q_heads) * double(problem.context) *
                  double(problem.head_dim);
      break;
    }
  }
  auto& rt = p.rates;
  rt.l2_s_per_byte = 1.0 / (spec.l2_bw_bytes_per_s() * coef.l2_efficiency);
  rt.hbm_bytes_per_s = spec.hbm_bw_bytes_per_s() * coef.hbm_efficiency;
  rt.l1_entries_per_byte = coef.l1_capacity_efficiency / p.row_bytes;
  rt.l2_entries = double(spec.l2_bytes) * coef.l2_capacity_efficiency /
                  (p.row_bytes * std::max(1.0, p.live_codebooks));
  rt.fill_s_per_byte_per_sm = spec.sm_count * rt.l2_s_per_byte;
  rt.inv_ideal_wavefronts = 1.0 / smem_ideal_wavefronts(p.row_bytes);
  // Byte- or halfword-aligned codes are one extract; others straddle words. Lattice codes also
  // apply sign flips to every element.
  const bool aligned = vq.index_bits == 8 || vq.index_bits == 16;
  rt.dequant_ops_per_lookup =
      (aligned ? coef.unpack_ops_per_aligned_code : coef.unpack_ops_per_code) +
      vq.vec_size * coef.dequant_ops_per_element +
      (vq.lattice_entries > 0 ? vq.vec_size * coef.lattice_ops_per_element : 0.0);
  p.occupancy_table = OccupancyTable(spec);
  p.m32 = int(problem.m);
  p.n32 = int(problem.n);
  p.k32 = int(problem.k);
  p.compulsory_hbm_bytes = p.codes_bytes + p.codebook_bytes + p.activation_bytes + p.output_bytes;
  p.ideal_s = std::max({p.compulsory_hbm_bytes / spec.hbm_bw_bytes_per_s(),
                        p.tensor_flops / spec.fp16_tensor_flops_per_s(),
                        p.fma_ops * coef.fma_ops_per_mac / (spec.fp32_flops_per_s() / 2.0)});
  return p;
}

}  // namespace vqt
