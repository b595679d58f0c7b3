// Launch parameters of the VQ GEMM for prefill (kernels/gemm_vq.hpp): plain structs, no model or
// CUDA headers, so the tuner, the DB and CPU tests can build them.
//
//   y[m][n] = sum_k x[m][k] W[n][k], m >= 32 tokens, W VQ-compressed along k in the GEMV device
//   layout (vq_device_layout.hpp), fp16 in and out, fp32 accumulation.
//
// Strategies (both are candidates; the tuner picks per shape):
//   fused_regs  a warp owns 16 rows of W, decodes its codes through the codebook cache straight
//               into m16n8k16 A fragments in registers (no shuffles needed: the GEMV geometry
//               permutes the mma k order so that a lane's codeword feeds its own fragment slots),
//               the block shares a tile of tile_m tokens of x staged in shared memory (cp.async,
//               double-buffered per group of chunks); k_groups warps of a block split the
//               chunks of one row tile (added in shared memory), split_k slices of k add up
//               in a workspace.
//   unfused     dequantize W to fp16 in a workspace (vq_dequantize_fp16), then cuBLAS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/gemv_params.hpp"

namespace vqt {

enum class GemmStrategy { fused_regs, unfused };
const char* to_string(GemmStrategy s);

struct GemmParams {
  GemmStrategy strategy = GemmStrategy::fused_regs;
  int warps = 8;     // fused: warps per block (4 or 8), 16 rows of W each
  int tile_m = 64;   // fused: tokens per block (32 or 64)
  int k_groups = 1;  // fused: warps per row tile inside a block (1, 2, 4), k split among them
  int split_k = 1;   // fused: k slices (whole chunks; whole codebook tiles for per_tile)
  bool codebook_smem = true;  // fused: codebook in shared memory (else read through L1)
  int smem_copies = 1;        // fused: interleaved copies of the shared-memory codebook (1..8)

  std::string key() const;  // "gemm:fused_regs,w8,m64,kg1,sk1,smem1,c1"
};

// Empty when (format, m, params) can run on `device`; else one line saying why not.
std::string can_implement_gemm(const GemvFormat& f, std::int64_t m, const GemmParams& p,
                               const GemvDevice& device);

// Device workspace bytes: unfused, W in fp16; fused with split_k > 1, fp32 partials followed by
// one arrival counter per (row block, token tile) at gemm_counters_offset(): the caller zeroes
// the counters once, every call leaves them zero.
std::size_t gemm_workspace_bytes(const GemvFormat& f, std::int64_t m, const GemmParams& p);
std::size_t gemm_counters_offset(const GemvFormat& f, std::int64_t m, const GemmParams& p);

// Dynamic shared memory of the fused kernel (x stages + codebook).
std::size_t gemm_smem_bytes(const GemvFormat& f, const GemmParams& p);

// Default parameters for `sm_count` SMs: unfused for m > 256, else fused with split_k for about
// one wave of blocks.
GemmParams default_gemm_params(const GemvFormat& f, std::int64_t m, int sm_count);

}  // namespace vqt
