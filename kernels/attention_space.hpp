// The decode-attention kernels' own search space for the tuner (host only, no CUDA): the distinct
// launch configurations of kernels/attention_decode.hpp worth timing for one attention_decode
// problem over a CQ cache, as AttentionParams and as canonical Candidates
// (gemm_attention_candidate.hpp).
//
//   dataflow {token_split, codebook_centric} x threads {256, 512} x tokens_per_split {128, 256,
//   ..., the context rounded up to 16 (one split)} plus default_attention_params() for 132 SMs
//   x group_slices {1 for token_split; 2, 4 for codebook_centric}
// Kept: what can_implement_attention accepts (codebook_centric is not implemented yet, so today
// token_split only: 2 x 6 = 12 configurations at a 4096-token context). tokens_per_split values
// that give the same number of splits are kept too: they differ in the tokens of the last split.
#pragma once

#include <vector>

#include "kernels/attention_params.hpp"
#include "model/candidate.hpp"
#include "model/problem.hpp"

namespace vqt {

// Throws InputError unless `attention` is an attention_decode problem over a CQ cache.
std::vector<AttentionParams> attention_space(const Problem& attention);
std::vector<Candidate> attention_space_candidates(const Problem& attention);

}  // namespace vqt
