// Fused VQ GEMM instances with v = 8: quip#-4 (lattice, r 2, 16-bit), aqlm-3 (r 2, 12-bit),
// aqlm-2x8 (r 2, 8-bit), aqlm-1x16 (r 1, 16-bit, codebook through L1: 1 MiB), x 2 token tiles.
#include "kernels/gemm_vq_kernel.cuh"

namespace vqt {

namespace {
template <int R, int HI, bool LAT, int TIER>
GemmKernelFn pick(int n_tiles) {
  return n_tiles == 4 ? dev::vq_gemm_kernel<8, R, HI, LAT, TIER, 4>
                      : dev::vq_gemm_kernel<8, R, HI, LAT, TIER, 8>;
}
}  // namespace

GemmKernelFn find_gemm_kernel_v8(int r, int hi_bits, bool lattice, bool smem, int n_tiles) {
  if (n_tiles != 4 && n_tiles != 8) return nullptr;
  if (lattice) return r == 2 && hi_bits == 8 && smem ? pick<2, 8, true, 1>(n_tiles) : nullptr;
  if (r == 2 && hi_bits == 4)
    return smem ? pick<2, 4, false, 1>(n_tiles) : pick<2, 4, false, 0>(n_tiles);
  if (r == 2 && hi_bits == 0 && smem) return pick<2, 0, false, 1>(n_tiles);
  if (r == 1 && hi_bits == 8 && !smem) return pick<1, 8, false, 0>(n_tiles);
  return nullptr;
}

}  // namespace vqt
