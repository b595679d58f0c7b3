// GemmKernelArgs: the flat argument block of the fused VQ GEMM instances (gemm_vq_kernel.cuh),
// built by the launcher (gemm_vq.cu). Device-side plumbing, not a public interface.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace vqt {

struct GemmKernelArgs {
  const void* codes_lo;  // GEMV device layout (vq_device_layout.hpp)
  const void* codes_hi;
  const __half* codebooks;  // fp16 [instances][r][stored][v]
  const __half* x;          // [m][cols]
  __half* y;                // [m][rows]
  float* ws;                // [split_k][m][rows] fp32 partials (split_k > 1)
  unsigned* counters;       // [row blocks * m_tiles] arrivals (split_k > 1), zero between calls
  int m;
  int rows;
  int cols;
  int chunks;  // cols / chunk_k
  int split_k;
  int warps;        // warps per block
  int k_groups;     // warps per row tile (each takes its own chunk of a group)
  int m_tiles;      // ceil(m / tile_m)
  int stored;       // entries per level
  int n_smem;       // entries per level held in shared memory (0 or stored)
  int copy_shift;   // log2 of the shared-memory copies of the codebook
  int tile_rows;    // per_tile scope: rows per codebook tile (0: per_tensor)
  int tile_chunks;  // per_tile scope: chunks per codebook tile column
};

using GemmKernelFn = void (*)(GemmKernelArgs);

// Fused instances: null when (v, r, hi_bits, lattice, smem codebook, n-tiles) has none.
GemmKernelFn find_gemm_kernel_v8(int r, int hi_bits, bool lattice, bool smem, int n_tiles);
GemmKernelFn find_gemm_kernel_v4(int r, int hi_bits, bool lattice, bool smem, int n_tiles);

}  // namespace vqt
