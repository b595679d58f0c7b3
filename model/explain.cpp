#include "model/explain.hpp"

#include <cstdio>

namespace vqt {

std::string format_bytes(double b) {
  char buf[48];
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  else if (b >= 1024.0)
    std::snprintf(buf, sizeof buf, "%.4g KiB", b / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

namespace {
std::string fmt2(double x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", x);
  return buf;
}
std::string pct(double x) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100.0 * x);
  return buf;
}
}  // namespace

std::string explain(const PreparedProblem& p, const Candidate& c, const Prediction& r) {
  if (!r.valid) return "cannot run: " + can_run(p, c);
  const double per_block_cb =
      double(p.entries) * p.row_bytes *
      (p.problem.op == Op::attention_decode ? 2.0 * p.codebook_groups * p.levels / c.cb_split
                                            : double(p.levels) / c.cb_split);
  const std::string cb = format_bytes(per_block_cb) + " codebook per block";
  const double budget = double(p.spec.smem_per_sm_bytes) / std::max(1, r.occ.blocks_per_sm);
  std::string s;
  const double on_chip = r.frac_reg + r.frac_smem;
  const std::string regs =
      c.n_reg > 0 ? std::to_string(c.n_reg) + " hottest in registers (" + pct(r.frac_reg) + "), "
                  : std::string();
  const std::string split =
      c.cb_split > 1 ? " (codebook-centric split x" + std::to_string(c.cb_split) + " of " +
                           format_bytes(per_block_cb * c.cb_split) + ", then a reduction)"
                     : std::string();
  if (c.n_smem >= p.entries) {
    s = cb + split + " fits on chip: " + regs + "all " + std::to_string(p.entries) +
        " entries on chip, shared memory x" + std::to_string(c.smem_copies) +
        " copies (bank conflicts x" + fmt2(r.conflict_factor) + "): all lookups on chip";
  } else if (c.n_smem > 0) {
    s = cb + split + (per_block_cb > budget ? " > " : " <= ") + format_bytes(budget) +
        " smem budget at " + std::to_string(r.occ.blocks_per_sm) + " blocks/SM: " + regs +
        "hottest " + std::to_string(c.n_smem) + " entries take " + pct(on_chip) +
        " of lookups, the other " + pct(r.frac_global) + " hit L1 " + pct(r.l1_hit) + " / L2 " +
        pct(r.l2_hit);
  } else {
    s = cb + " stays in global memory: " + regs + "L1 hit " + pct(r.l1_hit) + ", L2 hit " +
        pct(r.l2_hit) + " of global lookups";
  }
  s += "; bound: " + std::string(to_string(r.bound));
  if (r.bound == Bound::l2 && r.latency_s >= r.l2_s)
    s += " (latency of global lookups at " + std::to_string(r.occ.active_warps_per_sm) +
         " warps/SM)";
  char buf[64];
  std::snprintf(buf, sizeof buf, "; %.2fx the ideal time", r.time_s / r.ideal_s);
  return s + buf;
}

}  // namespace vqt
