// Launch parameters and arguments of the fused VQ GEMV (kernels/vq_gemv.hpp): plain structs, no
// model or CUDA headers, so the tuner, the DB and CPU tests can build them.
//
// Codebook cache: entries are sorted hottest first (index 0 = hottest; for lattice configs the
// rows of the stored table). Per residual level, entries [0, n_reg) are read from registers,
// [n_reg, n_smem) from shared memory (smem_copies interleaved copies, lane i reading copy
// i % smem_copies so that a quarter-warp's 16-byte reads hit distinct banks), and the rest from
// global memory (through L1, or L2 only with l1_bypass). n_reg = n_smem = 0 is the
// codebook-in-global kernel (VQ-LLM's "unoptimized" reference).
//
// Work split: a warp owns 16 rows of W (one m16 tensor-core tile), a block `warps` of them; the k
// axis is cut into split_k slices (for per_tile codebooks: whole tile columns, so a slice is the
// codebook-centric split), whose fp32 partial sums are added in a workspace and finished by the
// last block of each row tile. Blocks are persistent: grid = min(work items, SMs x
// blocks_per_sm), each block fills its cache once (per_tensor) or per tile column (per_tile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vqt {

constexpr int kGemvMaxBatch = 16;
constexpr int kGemvMaxRegEntries = 4;  // register tier: entries [0, n_reg) with n_reg <= this

struct GemvParams {
  int n_reg = 0;           // register tier boundary (0..kGemvMaxRegEntries, <= n_smem)
  int n_smem = 0;          // shared-memory tier boundary (<= stored entries per level)
  int smem_copies = 1;     // 1, 2, 4, 8, 16 or 32 interleaved copies of the smem tier
  bool l1_bypass = false;  // global lookups with ld.global.cg (L2 only)
  int split_k = 1;         // k slices per row tile (>= 1)
  int warps = 4;           // warps per block (1..16), 16 rows each
  int blocks_per_sm = 0;   // persistent grid: 0 = as many as fit (occupancy), else at most this

  std::string key() const;  // "reg=0,smem=256,copies=8,bypass=0,split_k=1,warps=4,bps=0"
};

// The tier a GemvParams selects (one kernel instance each).
enum class CodebookTier { global_only, smem, reg_smem };
CodebookTier tier_of(const GemvParams& p);
const char* to_string(CodebookTier t);

// Shape of one VQ weight matrix as the kernels see it (no vq/ headers needed).
struct GemvFormat {
  int vec_size = 8;         // v: 2, 4 or 8
  int index_bits = 8;       // b: 8..16
  int residuals = 1;        // r: 1 or 2
  int lattice_entries = 0;  // 256: quip#-style table (v = 8, b = 16); 0: plain codebook
  int tile_rows = 0;        // per_tile codebooks (GPTVQ); 0 = one codebook per tensor and level
  int tile_cols = 0;
  std::int64_t rows = 0;  // n (output features)
  std::int64_t cols = 0;  // k (input features)

  int stored_entries() const { return lattice_entries > 0 ? lattice_entries : 1 << index_bits; }
  std::int64_t instances() const {
    return tile_rows > 0 ? (rows / tile_rows) * (cols / tile_cols) : 1;
  }
  // 0 for b = 8, 4 for b = 9..12, 8 for b = 13..16: bits per code in the "hi" plane.
  int hi_bits() const { return index_bits <= 8 ? 0 : index_bits <= 12 ? 4 : 8; }
};

// Device pointers and sizes of one y = x W^T call. Layouts: kernels/vq_device_layout.hpp.
struct VqGemvArgs {
  GemvFormat format;
  const void* codes_lo = nullptr;   // low 8 bits of every code, device layout
  const void* codes_hi = nullptr;   // high bits (hi_bits() per code), null when hi_bits() == 0
  const void* codebooks = nullptr;  // fp16 [instances][r][stored][v], entries hottest first
  const void* x = nullptr;          // fp16 [batch][cols]
  void* y = nullptr;                // fp16 [batch][rows]
  int batch = 1;                    // 1..kGemvMaxBatch
  void* workspace = nullptr;        // zeroed once by the caller, left zeroed by every call
  std::size_t workspace_bytes = 0;
};

// What the launcher needs to know of the device (from cudaDeviceProp; tests build it by hand).
struct GemvDevice {
  int cc_major = 9, cc_minor = 0;
  int sm_count = 132;
  std::size_t smem_per_block_optin_bytes = 227 * 1024;
};

}  // namespace vqt
