// The VQ GEMM's own search space for the tuner (host only, no CUDA): the distinct launch
// configurations of kernels/gemm_vq.hpp worth timing for one problem, as GemmParams and as the
// canonical Candidates the tune loop ranks with the model (gemm_attention_candidate.hpp).
//
//   unfused (dequantize + cuBLAS): one configuration
//   fused_regs: warps {4, 8} x tile_m {32, 64} x k_groups {1, 2, 4} x split_k {1, 2, 4} x
//               codebook placement {shared memory, global through L1}, shared-memory copies
//               {1, 4} where k_groups is 1 and four copies of all levels fit in 64 KiB (bank-
//               conflict relief is for small codebooks; larger copies only evict x stages)
// Kept: what can_implement_gemm accepts for the problem's format with the largest shared memory
// of a current GPU (227 KiB, GemvDevice{}), so the space is the same on every GPU and the
// tuner's implementable() filter drops what the actual device refuses. About 35 to 60
// configurations per preset (49 for quip#-4, aqlm-2x8 and gptvq-2 at llama shapes).
#pragma once

#include <vector>

#include "kernels/gemm_params.hpp"
#include "model/candidate.hpp"
#include "model/problem.hpp"

namespace vqt {

// Throws InputError unless `gemm` is a gemm problem of a weight format the GEMM reads.
std::vector<GemmParams> gemm_space(const Problem& gemm);
// gemm_space() as canonical Candidates, one per configuration, in the same order.
std::vector<Candidate> gemm_space_candidates(const Problem& gemm);

// The GemvFormat of a gemm / gemv problem's weights (rows n, cols k); no data.
GemvFormat gemm_format_of(const Problem& matmul);

}  // namespace vqt
