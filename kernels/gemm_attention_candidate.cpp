// Candidate <-> GemmParams / AttentionParams (see gemm_attention_candidate.hpp).
#include "kernels/gemm_attention_candidate.hpp"

#include "kernels/gemv_geometry.hpp"
#include "vq/error.hpp"

namespace vqt {

GemmParams gemm_params_from(const Candidate& c) {
  GemmParams p;
  if (c.fusion == Fusion::unfused) {  // no launch parameters of ours: the canonical defaults
    p.strategy = GemmStrategy::unfused;
    return p;
  }
  p.strategy = GemmStrategy::fused_regs;
  p.warps = c.threads / 32;
  p.tile_m = c.tile_m;
  const int rows = 16 * p.warps;
  p.k_groups = c.cb_split == 1 && c.tile_n > 0 && rows % c.tile_n == 0 ? rows / c.tile_n : 0;
  p.split_k = c.split_k;
  p.codebook_smem = c.n_smem > c.n_reg;
  p.smem_copies = p.codebook_smem ? c.smem_copies : 1;
  return p;
}

Candidate candidate_from(const GemmParams& p) {
  Candidate c;
  c.fusion = p.strategy == GemmStrategy::unfused ? Fusion::unfused : Fusion::shuffle;
  c.threads = p.warps * 32;
  c.tile_m = p.tile_m;
  c.tile_n = 16 * (p.warps / (p.k_groups > 0 ? p.k_groups : 1));
  c.split_k = p.split_k;
  c.cb_split = 1;
  c.n_reg = 0;
  c.n_smem = p.codebook_smem ? 1 << 16 : 0;  // "all entries": clamped by the kernel's format
  c.smem_copies = p.codebook_smem ? p.smem_copies : 1;
  return c;
}

int gemm_model_tile_k(const VqConfig& vq, std::int64_t k, int split_k) {
  const int chunk = gemv_geometry(vq.vec_size, vq.residuals).chunk_k;
  if (split_k < 1 || k % split_k != 0) return chunk;
  const std::int64_t slice = k / split_k;
  for (int t = chunk; t >= 16; t /= 2) {
    if (t % 16 != 0 || t % vq.vec_size != 0 || slice % t != 0) continue;
    if (vq.scope == Scope::per_tile && vq.tile_cols % t != 0) continue;
    return t;
  }
  return chunk;
}

Candidate candidate_from(const GemmParams& p, const Problem& pr) {
  Candidate c = candidate_from(p);
  if (p.strategy == GemmStrategy::unfused) {
    // One dequantize kernel + cuBLAS: no launch parameters of ours; a fixed canonical form.
    c = Candidate{};
    c.fusion = Fusion::unfused;
    c.threads = 256;
    c.tile_m = 64;
    c.tile_n = 64;
    c.split_k = 1;
    c.n_smem = 0;
  } else if (p.codebook_smem) {
    c.n_smem = std::int32_t(pr.vq.stored_entries());
  }
  c.tile_k = gemm_model_tile_k(pr.vq, pr.k, c.split_k);
  return c;
}

AttentionParams attention_params_from(const Candidate& c) {
  AttentionParams p;
  p.dataflow = c.dataflow == Dataflow::codebook_centric ? AttentionDataflow::codebook_centric
                                                        : AttentionDataflow::token_split;
  p.threads = c.threads;
  p.tokens_per_split = c.tile_n;
  p.group_slices = c.cb_split;
  return p;
}

Candidate candidate_from(const AttentionParams& p) {
  Candidate c;
  c.fusion = Fusion::shuffle;
  c.dataflow = p.dataflow == AttentionDataflow::codebook_centric ? Dataflow::codebook_centric
                                                                 : Dataflow::token_split;
  c.threads = p.threads;
  c.tile_m = 1;
  c.tile_n = p.tokens_per_split;
  c.tile_k = 128;
  c.split_k = 1;
  c.cb_split = p.group_slices;
  c.n_reg = 0;
  c.n_smem = 256;  // CQ codebooks (256 entries) always sit in shared memory
  return c;
}

Candidate candidate_from(const AttentionParams& p, const Problem& pr) {
  Candidate c = candidate_from(p);
  c.tile_k = std::int32_t(pr.head_dim);
  const std::int64_t per = p.tokens_per_split > 0 ? p.tokens_per_split : 1;
  c.split_k = std::int32_t((pr.context + per - 1) / per);
  c.n_smem = std::int32_t(pr.vq.stored_entries());
  return c;
}

AttentionShape attention_shape_of(const Problem& p) {
  if (p.op != Op::attention_decode)
    throw InputError("attention_shape_of: not an attention_decode problem: " + p.key());
  const VqConfig& vq = p.vq;
  if (vq.scope != Scope::per_head_group || vq.index_bits != 8 || vq.residuals != 1 ||
      (vq.vec_size != 2 && vq.vec_size != 4) || vq.channel_group != vq.vec_size)
    throw InputError(
        "the decode-attention kernels read CQ caches (cq-4 = VQ<2,8,1>, cq-2 = "
        "VQ<4,8,1>, one codebook per head x v channels); got " +
        vq.describe());
  AttentionShape s;
  s.batch = std::int32_t(p.batch);
  s.q_heads = std::int32_t(p.q_heads);
  s.kv_heads = std::int32_t(p.kv_heads);
  s.head_dim = std::int32_t(p.head_dim);
  s.context = p.context;
  s.capacity = (p.context + 15) / 16 * 16;
  s.format = KvFormat::cq;
  s.vec_size = vq.vec_size;
  return s;
}

}  // namespace vqt
