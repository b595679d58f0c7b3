// The fused GEMV kernel's time (kernels/vq_gemv.hpp, docs/kernels.md), a warp-chain model: a warp
// walks the k chunks of its items one after another; each chunk step takes the longest of
//   - its own latency chain: chain cycles + its own issue + its own LSU wavefronts + the latency
//     of its slowest codebook lookup (shared memory, L1 or L2),
//   - the code stream: the next chunk's codes are loaded one chunk ahead, so a step cannot be
//     shorter than one HBM round trip,
//   - the SM's shared pipes divided among the warps resident on it: issue (4 schedulers) and the
//     L1/shared-memory wavefronts (codebook lookups with their bank conflicts, scattered global
//     lookups, code and activation loads),
// combined by a smooth maximum. The busiest warp's chunk steps times that, against the HBM time of
// the compulsory bytes (smooth maximum again), plus the exposed codebook fills, the split-k atomics
// and a fixed launch cost. Internal to model/; predict() calls it for Op::gemv.
#pragma once

#include "model/cost_model.hpp"
#include "model/detail/combine.hpp"
#include "model/detail/geometry.hpp"

namespace vqt::detail {

// Fills r's time terms, bytes, bound and wave fields for a valid gemv geometry `g` (r.occ set).
void gemv_kernel_terms(const PreparedProblem& p, const Candidate& c, const Geometry& g,
                       Prediction& r);

// Registers per thread of the kernel instance for (v, r, code bits, lattice, tier 0/1/2 = global /
// shared / registers+shared), as ptxas allocates them (table in gemv_model.cpp).
int gemv_kernel_regs(int v, int levels, int index_bits, bool lattice, int tier);

}  // namespace vqt::detail
