// Launch geometry of a candidate: how a Problem's work is cut into blocks, which codebooks a block
// and a thread hold, and the registers and shared memory that costs. Shared by the validity check
// and the cost model (internal to model/).
#pragma once

#include <cstdint>

#include "model/cost_model.hpp"

namespace vqt::detail {

// No default member initialisers: geometry() assigns every field (zeroing the struct with
// memset costs a measurable share of predict()).
struct Geometry {
  std::int64_t blocks;
  int codebooks_per_block;   // codebooks (level x scope instance) whose entries a block places
  int codebooks_per_thread;  // of those, the ones one thread looks up (register tier copies)
  double lookups;            // lookups of the whole kernel (gemm repeats them per M tile)
  double tensor_flops;
  int stage_smem_bytes;  // shared memory a block needs for tiles
  int base_regs;
  double extra_l2_bytes;  // re-reads that hit L2 (activations, codes per M tile)
  // Shared memory and registers of one block.
  std::int64_t smem_bytes;
  int regs;
};

// The fused GEMV kernel's walk along k (kernels/gemv_geometry.hpp; the fused GEMM uses the same):
// a lane covers `ep` k per row and step, a chunk is the steps whose codes fill one 16-byte load
// per lane (32 x 16 codes per warp) and covers chunk_k; and the register-tier limit (entries
// per level).
constexpr int kGemvRegEntries = 4;
constexpr int gemv_step_elems(int v) {
  return v < 4 ? 4 : v;
}
constexpr int gemv_steps_per_chunk(int v, int levels) {
  return 16 / (2 * (gemv_step_elems(v) / v) * levels);
}
constexpr int gemv_chunk_k(int v, int levels) {
  return 4 * gemv_step_elems(v) * gemv_steps_per_chunk(v, levels);
}

// Fills g for candidate c; returns nullptr when the geometry is valid, else a static reason.
const char* geometry(const PreparedProblem& p, const Candidate& c, Geometry& g);

}  // namespace vqt::detail
