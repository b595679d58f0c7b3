#include "kernels/gemv_candidate.hpp"

#include <algorithm>

namespace vqt {

GemvParams gemv_params_from(const Candidate& c) {
  GemvParams p;
  p.n_reg = c.n_reg;
  p.n_smem = c.n_smem;
  p.smem_copies = c.smem_copies;
  p.l1_bypass = c.l1_bypass;
  p.split_k = std::max(1, c.split_k) * std::max(1, c.cb_split);
  p.warps = std::max(1, c.threads / 32);
  return p;
}

Candidate candidate_from(const GemvParams& p) {
  Candidate c;
  c.n_reg = p.n_reg;
  c.n_smem = p.n_smem;
  c.smem_copies = p.smem_copies;
  c.l1_bypass = p.l1_bypass;
  c.split_k = p.split_k;
  c.cb_split = 1;
  c.threads = 32 * p.warps;
  c.tile_n = 16 * p.warps;
  c.tile_m = 16;
  return c;
}

}  // namespace vqt
