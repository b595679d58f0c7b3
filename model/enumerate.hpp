// Candidate enumeration and ranking for one prepared problem.
//
// The space: placements n_reg in {0, 8, 16, 32} and n_smem from n_reg up to the stored entries in
// powers of two (at least 16), shared-memory copies 1/2/4, L1 bypass when there is a global tier,
// codebook-centric split factors dividing the codebooks a block holds, fusion modes (gemm:
// shuffle, smem, unfused), tiles, threads 64..512 and split-K (the context split for attention).
// Candidates that cannot run on the GPU (can_run) are dropped.
#pragma once

#include <vector>

#include "model/cost_model.hpp"

namespace vqt {

std::vector<Candidate> enumerate_candidates(const PreparedProblem& p);

struct Ranked {
  Candidate candidate;
  Prediction prediction;
};

// All runnable candidates sorted by predicted time; exact ties go to the higher occupancy, then
// to the smaller candidate key, so the order is deterministic. Keeps the best `top` (all when top
// <= 0).
std::vector<Ranked> rank_candidates(const PreparedProblem& p, int top = 0);

// The same order over a given list (a kernel family's own search space): every candidate is kept;
// those the model cannot predict (prediction.valid false, time +inf) go last, in key order.
std::vector<Ranked> rank_given_candidates(const PreparedProblem& p,
                                          const std::vector<Candidate>& candidates);

}  // namespace vqt
