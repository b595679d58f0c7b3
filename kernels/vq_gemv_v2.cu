// Instances of the fused VQ GEMV and the dequantize baseline for v = 2
// (kernels/vq_gemv_instances.cuh).
#include "kernels/vq_gemv_instances.cuh"

namespace vqt {

GemvKernelFn find_gemv_kernel_v2(int r, int hi_bits, bool lattice, int tier) {
  return gemv_instances::find_gemv<2>(r, hi_bits, lattice, tier);
}

GemvKernelFn find_dequant_kernel_v2(int r, int hi_bits, bool lattice) {
  return gemv_instances::find_dequant<2>(r, hi_bits, lattice);
}

}  // namespace vqt
