// Fused VQ GEMM instances with v = 4: gptvq-2 (r 1, 8-bit, per 256 x 256 tile), x 2 token tiles.
#include "kernels/gemm_vq_kernel.cuh"

namespace vqt {

GemmKernelFn find_gemm_kernel_v4(int r, int hi_bits, bool lattice, bool smem, int n_tiles) {
  if (lattice || r != 1 || hi_bits != 0 || !smem) return nullptr;
  if (n_tiles == 4) return dev::vq_gemm_kernel<4, 1, 0, false, 1, 4>;
  if (n_tiles == 8) return dev::vq_gemm_kernel<4, 1, 0, false, 1, 8>;
  return nullptr;
}

}  // namespace vqt
