// Candidate enumeration and ranking for one prepared problem.
//
// The space is each kernel family's own: one candidate per distinct launch configuration of the
// fused GEMV (register tier 0/4, shared-memory boundary, copies, L1 bypass, warps, split-k), of
// the VQ GEMM (kernels/gemm_space: unfused + fused tiles, k groups, split-k, codebook placement)
// and of the CQ decode attention (kernels/attention_space: threads x tokens per split).
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
