// GemvKernelArgs: the flat argument block of the fused VQ GEMV kernel instances, built by the
// launcher (vq_gemv.cu) from VqGemvArgs + GemvParams. Device-side only; not a public interface.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace vqt {

constexpr int kGemvMaxRegEntriesDev = 4;  // == kGemvMaxRegEntries (gemv_params.hpp)

struct GemvKernelArgs {
  const void* codes_lo;
  const void* codes_hi;
  const __half* codebooks;
  const __half* x;
  __half* y;
  float* ws;           // [kGemvMaxBatch][row_tiles * 16] fp32 partial sums (split_k > 1)
  unsigned* counters;  // [row_tiles] arrivals per block row tile (split_k > 1)
  int batch;
  int rows;
  int cols;
  int row_tiles;  // 16-row tiles
  int chunks;     // chunks along k
  int split_k;
  int warps;   // warps (16-row tiles) per block
  int items;   // ceil(row_tiles / warps) * split_k
  int stored;  // entries per level in global memory
  int n_reg, n_smem, copy_shift, l1_bypass;
  int tile_rows;    // per_tile scope: rows per codebook tile
  int tile_chunks;  // per_tile scope: chunks per codebook tile column; 0 = per_tensor
};

using GemvKernelFn = void (*)(GemvKernelArgs);

// Instance lookups (vq_gemv_v2.cu, vq_gemv_v4.cu, vq_gemv_v8.cu): null when not instantiated.
GemvKernelFn find_gemv_kernel_v2(int r, int hi_bits, bool lattice, int tier);
GemvKernelFn find_gemv_kernel_v4(int r, int hi_bits, bool lattice, int tier);
GemvKernelFn find_gemv_kernel_v8(int r, int hi_bits, bool lattice, int tier);
// Dequantize-to-fp16 kernels (baseline): a.y receives W [rows][cols] fp16.
GemvKernelFn find_dequant_kernel_v2(int r, int hi_bits, bool lattice);
GemvKernelFn find_dequant_kernel_v4(int r, int hi_bits, bool lattice);
GemvKernelFn find_dequant_kernel_v8(int r, int hi_bits, bool lattice);

}  // namespace vqt
