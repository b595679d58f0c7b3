// Maps the cost model's Candidate (model/candidate.hpp) onto the GEMM and decode-attention launch
// parameters and back (host only; the kernels' headers never include model/).
//
// GEMM (gemm_params.hpp):
//   fusion      unfused -> GemmStrategy::unfused; shuffle -> fused_regs (A fragments decoded in
//               registers); smem -> fused_regs too (a shared-memory-staged dequantized tile is not
//               implemented: the register path needs no staging thanks to the permuted k order)
//   threads     warps = threads / 32;   tile_m -> tile_m (32 or 64)
//   tile_n      the rows of W a block owns = 16 x warps / k_groups, so k_groups (warps splitting
//               the chunks of one row tile) = 16 x warps / tile_n
//   split_k     split_k;   n_smem > n_reg: codebook in shared memory (else read through L1),
//               smem_copies: its interleaved copies
//   cb_split    must be 1 (the kernel has no codebook-centric split; cb_split > 1 maps to
//               k_groups 0, which can_implement_gemm refuses)
//   tile_k      not a kernel parameter (the kernel walks k in whole code chunks): the canonical
//               candidate carries the largest power-of-two step <= one chunk that the model's
//               geometry accepts for the problem's k and split_k
// Attention (attention_params.hpp):
//   dataflow    token_split / codebook_centric;  threads -> threads;  cb_split -> group_slices
//   tile_n      tokens_per_split (the context tokens one block walks: exact, context-free)
//   split_k     the number of context splits ceil(context / tokens_per_split) of the problem:
//               what the model reads; tile_m = 1 and tile_k = head_dim, as the model expects
//
// The one-argument candidate_from() forms know no problem (tile_k 256 for gemm, split_k 1 and
// tile_k 128 for attention); the forms that take the Problem give the canonical candidate the
// tuner stores and the model can rank (model/detail/geometry.cpp).
#pragma once

#include "kernels/attention_params.hpp"
#include "kernels/gemm_params.hpp"
#include "model/candidate.hpp"
#include "model/problem.hpp"

namespace vqt {

GemmParams gemm_params_from(const Candidate& c);
Candidate candidate_from(const GemmParams& p);
Candidate candidate_from(const GemmParams& p, const Problem& gemm);

// The step along k the model's gemm geometry accepts for (k, split_k) with this VQ config:
// a power of two <= the kernel's chunk_k, a multiple of 16 and of v, dividing k / split_k (and
// the codebook tile's columns for per_tile); chunk_k when none does (the model then refuses).
int gemm_model_tile_k(const VqConfig& vq, std::int64_t k, int split_k);

AttentionParams attention_params_from(const Candidate& c);
Candidate candidate_from(const AttentionParams& p);
Candidate candidate_from(const AttentionParams& p, const Problem& attention);

// The kernel's shape of an attention_decode problem over a CQ cache (per_head_group, v 2 or 4,
// 8-bit codes): capacity = context rounded up to 16 tokens. Throws InputError for other KV
// formats (the fp16 baseline is not a VqConfig).
AttentionShape attention_shape_of(const Problem& attention);

}  // namespace vqt
