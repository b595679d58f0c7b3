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

// The fused GEMV kernel's k chunk (kernels/gemv_geometry.hpp): the k one 16-byte code load per
// lane covers, 32 x 16 codes per warp; and its register-tier limit (entries per level).
constexpr int kGemvRegEntries = 4;
constexpr int gemv_chunk_k(int v, int levels) {
  return 4 * (v < 4 ? 4 : v) * (16 / (2 * ((v < 4 ? 4 : v) / v) * levels));
}

// Fills g for candidate c; returns nullptr when the geometry is valid, else a static reason.
const char* geometry(const PreparedProblem& p, const Candidate& c, Geometry& g);

}  // namespace vqt::detail
