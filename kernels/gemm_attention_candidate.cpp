// Candidate <-> GemmParams / AttentionParams (see gemm_attention_candidate.hpp).
#include "kernels/gemm_attention_candidate.hpp"

namespace vqt {

GemmParams gemm_params_from(const Candidate& c) {
  GemmParams p;
  p.strategy = c.fusion == Fusion::unfused ? GemmStrategy::unfused : GemmStrategy::fused_regs;
  p.warps = c.threads / 32;
  p.tile_m = c.tile_m;
  p.split_k = c.split_k;
  p.k_groups = c.cb_split;
  p.codebook_smem = c.n_smem > 0;
  return p;
}

Candidate candidate_from(const GemmParams& p) {
  Candidate c;
  c.fusion = p.strategy == GemmStrategy::unfused ? Fusion::unfused : Fusion::shuffle;
  c.threads = p.warps * 32;
  c.tile_m = p.tile_m;
  c.tile_n = 16 * (p.warps / (p.k_groups > 0 ? p.k_groups : 1));
  c.split_k = p.split_k;
  c.cb_split = p.k_groups;
  c.n_reg = 0;
  c.n_smem = p.codebook_smem ? 1 << 16 : 0;  // "all entries": clamped by the kernel's format
  return c;
}

AttentionParams attention_params_from(const Candidate& c) {
  AttentionParams p;
  p.dataflow = c.dataflow == Dataflow::codebook_centric ? AttentionDataflow::codebook_centric
                                                        : AttentionDataflow::token_split;
  p.threads = c.threads;
  p.tokens_per_split = c.tile_k;
  p.group_slices = c.cb_split;
  return p;
}

Candidate candidate_from(const AttentionParams& p) {
  Candidate c;
  c.dataflow = p.dataflow == AttentionDataflow::codebook_centric ? Dataflow::codebook_centric
                                                                 : Dataflow::token_split;
  c.threads = p.threads;
  c.tile_k = p.tokens_per_split;
  c.cb_split = p.group_slices;
  c.n_reg = 0;
  c.n_smem = 256;  // CQ codebooks (256 entries) always sit in shared memory
  return c;
}

}  // namespace vqt
