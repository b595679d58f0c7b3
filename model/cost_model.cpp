// predict(): validity (geometry and occupancy), then the kernel family's own model
// (model/detail/gemv_model, gemm_model, attention_model). docs/model.md has the assumptions.
#include "model/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/detail/attention_model.hpp"
#include "model/detail/gemm_model.hpp"
#include "model/detail/gemv_model.hpp"
#include "model/detail/geometry.hpp"

namespace vqt {

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
  Prediction r;  // every field is assigned below or by the kernel family's model
  r.ideal_s = p.ideal_s;
  r.blocks = g.blocks;
  r.regs_per_thread = g.regs;
  r.smem_bytes_per_block = int(g.smem_bytes);
  r.occ = occ;
  r.l1_hit = 0;
  r.l2_hit = 0;
  r.latency_s = 0;
  r.second_kernel_s = 0;
  r.lsu_wavefronts = 0;
  r.valid = true;
  // One model per implemented kernel family (geometry() refuses the offload ops).
  switch (p.problem.op) {
    case Op::gemv:
      detail::gemv_kernel_terms(p, c, g, r);
      break;
    case Op::gemm:
      detail::gemm_kernel_terms(p, c, g, r);
      break;
    default:
      detail::attention_kernel_terms(p, c, g, r);
      break;
  }
  return r;
}

}  // namespace vqt
