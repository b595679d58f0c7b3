// Launch geometry of a candidate: how a Problem's work is cut into blocks, which codebooks a block
// and a thread hold, and the registers and shared memory that costs. Shared by the validity check
// and the cost model (internal to model/).
#pragma once

#include <cstdint>

#include "model/cost_model.hpp"

namespace vqt::detail {

struct Geometry {
  std::int64_t blocks = 0;
  int codebooks_per_block = 0;   // codebooks (level x scope instance) whose entries a block places
  int codebooks_per_thread = 0;  // of those, the ones one thread looks up (register tier copies)
  int resident_codebooks_shared = 0;  // 1 when all blocks of an SM share the same codebooks
  double fills_per_block = 1;         // times a block (re)loads its on-chip codebook part
  double lookups = 0;                 // lookups of the whole kernel (gemm repeats them per M tile)
  double fma_ops = 0;
  double tensor_flops = 0;
  double extra_cuda_ops = 0;      // fusion shuffles
  double stage_smem_traffic = 0;  // bytes of tile staging through shared memory (all blocks)
  int stage_smem_bytes = 0;       // shared memory a block needs for tiles
  int base_regs = 0;
  double extra_l2_bytes = 0;     // re-reads that hit L2 (activations, codes per M tile)
  double extra_hbm_bytes = 0;    // beyond compulsory (unfused: dequantized weights)
  double reduction_outputs = 0;  // values combined across splits
  int splits = 1;
  int kernels = 1;
  // Shared memory and registers of one block.
  std::int64_t smem_bytes = 0;
  int regs = 0;
};

// Fills g for candidate c; returns nullptr when the geometry is valid, else a static reason.
const char* geometry(const PreparedProblem& p, const Candidate& c, Geometry& g);

}  // namespace vqt::detail
