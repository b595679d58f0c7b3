// The CQ decode-attention kernel's time (kernels/attention_cq.cu, token_split), a warp-chain model
// like the GEMV's: a block (query head, context split, sequence) first builds its query x
// centroid table and copies the V codebook into shared memory (setup: codebook bytes from L2 at
// the SM's share, table FMAs over the block's threads), then each warp walks 16-token tiles
// round robin. A tile step of a warp takes the smooth maximum of
//   - its latency chain (score lookups, transpose reduction, online softmax, V accumulation),
//   - the code stream (next tile's codes loaded one tile ahead: one HBM round trip),
//   - the SM's issue slots and shared-memory wavefronts divided among the resident warps.
// The busiest SM runs ceil(blocks / SMs) blocks in rounds of the resident ones; that SM time
// against the HBM time of the codes (read once per kv head) and the L2 time (read once per query
// head), plus a launch cost and, with several splits, the combine kernel. Internal to model/.
#pragma once

#include "model/cost_model.hpp"
#include "model/detail/geometry.hpp"

namespace vqt::detail {

// Fills r's time terms, bytes, bound and wave fields for a valid attention geometry `g`.
void attention_kernel_terms(const PreparedProblem& p, const Candidate& c, const Geometry& g,
                            Prediction& r);

// Registers per thread of cq_decode_split_kernel<v, warps> (ptxas table in attention_model.cpp).
int attention_cq_regs(int v, int warps);

}  // namespace vqt::detail
