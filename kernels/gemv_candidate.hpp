// Maps the cost model's Candidate (model/candidate.hpp) onto the GEMV launch parameters and back.
//   n_reg, n_smem, smem_copies, l1_bypass   copied
//   split_k                                 candidate.split_k * candidate.cb_split (for per_tile
//                                           codebooks the slices are whole tile columns: the
//                                           codebook-centric split)
//   warps                                   candidate.threads / 32 (a warp owns 16 rows, so the
//                                           block covers tile_n = 16 * warps output features)
// tile_m, tile_k, fusion and dataflow have no GEMV meaning (batch <= 16 is one mma n-tile pair,
// k advances one codeword per lane per step).
#pragma once

#include "kernels/gemv_params.hpp"
#include "model/candidate.hpp"

namespace vqt {

GemvParams gemv_params_from(const Candidate& c);
Candidate candidate_from(const GemvParams& p);

}  // namespace vqt
