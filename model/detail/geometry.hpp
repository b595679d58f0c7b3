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
  int codebooks_per_block;        // codebooks (level x scope instance) whose entries a block places
  int codebooks_per_thread;       // of those, the ones one thread looks up (register tier copies)
  int resident_codebooks_shared;  // 1 when all blocks of an SM share the same codebooks
  double fills_per_block;         // times a block (re)loads its on-chip codebook part
  double lookups;                 // lookups of the whole kernel (gemm repeats them per M tile)
  double fma_ops;
  double tensor_flops;
  double extra_cuda_ops;      // fusion shuffles
  double stage_smem_traffic;  // bytes of tile staging through shared memory (all blocks)
  int stage_smem_bytes;       // shared memory a block needs for tiles
  int base_regs;
  double extra_l2_bytes;     // re-reads that hit L2 (activations, codes per M tile)
  double extra_hbm_bytes;    // beyond compulsory (unfused: dequantized weights)
  double reduction_outputs;  // values combined across splits
  int splits;
  int kernels;
  bool persistent;  // blocks = work items, run by a grid of min(items, resident slots) blocks
                    // that fill a per-tensor codebook once each (the fused GEMV)
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
