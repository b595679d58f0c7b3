// The VQ GEMM's time (kernels/gemm_vq.hpp, gemm_vq_kernel.cuh, docs/kernels.md), two strategies:
//
// fused_regs, a block-step model: a block walks its k slice in steps of k_groups chunks (one
// chunk per warp of a row tile), each step behind a barrier and a cp.async stage of the next x
// tile. A step takes the smooth maximum of
//   - one warp's latency chain: fixed cycles + its own issue + its codebook lookups' latency
//     (shared memory, or L1 for the global placement),
//   - the SM's pipes shared by the warps resident on it: issue (4 schedulers), L1/shared
//     wavefronts (codebook lookups with bank conflicts, x B-operand loads, cp.async writes), the
//     tensor pipe (m16n8k16 mmas), and the x stage bytes at the SM's share of L2 bandwidth.
// The busiest SM runs ceil(blocks / SMs) blocks in rounds of the resident ones; each block adds
// its codebook fill(s), prologue / epilogue and, with split_k, the last block's reduction. That
// SM time against the HBM and L2 times of the bytes (smooth maximum), plus a launch cost.
//
// unfused: the dequantize kernel (HBM: codes in, fp16 W out; lookups at a per-SM rate), then the
// cuBLAS fp16 GEMM as tensor FLOPs at the measured fp16 tensor ceiling x an efficiency against
// its bytes at HBM bandwidth, each kernel with a fixed cost. Internal to model/.
#pragma once

#include "model/cost_model.hpp"
#include "model/detail/geometry.hpp"

namespace vqt::detail {

// Fills r's time terms, bytes, bound and wave fields for a valid gemm geometry `g` (r.occ set).
void gemm_kernel_terms(const PreparedProblem& p, const Candidate& c, const Geometry& g,
                       Prediction& r);

// Whether kernels/gemm_vq_v{4,8}.cu instantiate the fused kernel for (v, r, high code bits,
// lattice) with the codebook in shared memory (smem) or read through L1 (mirrors
// kernels/gemm_params.cpp fused_instance_exists).
bool gemm_fused_instance(int v, int levels, int hi_bits, bool lattice, bool smem);

// Registers per thread of the fused instance with nt = tile_m / 8 token tiles (ptxas table in
// gemm_model.cpp); 0 when there is no such instance.
int gemm_fused_regs(int v, int levels, int hi_bits, bool lattice, bool smem, int nt);

// Registers per thread of the dequantize kernel of the unfused path.
int gemm_dequant_regs(int v, int levels);

}  // namespace vqt::detail
