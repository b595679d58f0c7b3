// Candidate: one way to run a Problem on a GPU. The cost model predicts it, the tuner times it, the
// heuristics database stores the winner, and kernels/ maps it onto its launch-parameter structs.
//
// Codebook placement: entries are sorted by access frequency (index 0 = hottest). Entries
// [0, n_reg) live in registers, [n_reg, n_smem) in shared memory, [n_smem, stored_entries) are
// read from global memory (through L1/L2, or L2 only with l1_bypass).
#pragma once

#include <cstdint>
#include <string>

namespace vqt {

// How dequantized values reach the arithmetic: register shuffles inside a warp, or staging the
// dequantized tile through shared memory (GEMM), or the unfused dequantize-then-cuBLAS path.
enum class Fusion { shuffle, smem, unfused };
// Attention dataflow: split the context across blocks (flash-decoding), or split along the axes
// where codebooks switch (VQ-LLM's codebook-centric dataflow).
enum class Dataflow { token_split, codebook_centric };

const char* to_string(Fusion f);
const char* to_string(Dataflow d);

struct Candidate {
  std::int32_t n_reg = 0;        // entries [0, n_reg) in registers
  std::int32_t n_smem = 0;       // entries [n_reg, n_smem) in shared memory
  std::int32_t smem_copies = 1;  // copies of the shared-memory part (bank-conflict avoidance)
  bool l1_bypass = false;        // global lookups skip L1 (ld.global.cg)
  std::int32_t cb_split = 1;     // codebook-centric split factor (then a reduction)
  Fusion fusion = Fusion::shuffle;
  Dataflow dataflow = Dataflow::token_split;
  std::int32_t tile_m = 1;     // rows of the activation tile (batch / tokens) per block
  std::int32_t tile_n = 64;    // output features per block
  std::int32_t tile_k = 256;   // reduction elements per step
  std::int32_t threads = 128;  // threads per block
  std::int32_t split_k = 1;    // blocks along k (or the context, for attention), then reduce

  // Canonical, stable text form used as a DB key: "reg=0,smem=256,copies=1,...".
  std::string key() const;
  // Parses key(); throws InputError on a malformed string.
  static Candidate from_key(const std::string& key);
};

bool operator==(const Candidate& a, const Candidate& b);

}  // namespace vqt
