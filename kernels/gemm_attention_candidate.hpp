// Maps the cost model's Candidate (model/candidate.hpp) onto the GEMM and decode-attention launch
// parameters and back (host only; the kernels' headers never include model/).
//
// GEMM (gemm_params.hpp):
//   fusion      unfused -> GemmStrategy::unfused; shuffle -> fused_regs (A fragments decoded in
//               registers); smem -> fused_regs too (a shared-memory-staged dequantized tile is not
//               implemented: the register path needs no staging thanks to the permuted k order)
//   threads     warps = threads / 32;   tile_m -> tile_m (32 or 64)
//   split_k     split_k;  cb_split -> k_groups (warps splitting the chunks of one row tile)
//   n_smem      > 0: codebook in shared memory, 0: through L1
// Attention (attention_params.hpp):
//   dataflow    token_split / codebook_centric;  threads -> threads
//   tile_k      tokens_per_split (the context tokens per block);  cb_split -> group_slices
#pragma once

#include "kernels/attention_params.hpp"
#include "kernels/gemm_params.hpp"
#include "model/candidate.hpp"

namespace vqt {

GemmParams gemm_params_from(const Candidate& c);
Candidate candidate_from(const GemmParams& p);

AttentionParams attention_params_from(const Candidate& c);
Candidate candidate_from(const AttentionParams& p);

}  // namespace vqt
