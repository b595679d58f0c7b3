// Instances of the fused VQ GEMV and the dequantize baseline for v = 2 (one file per v, so that
// a 2-core build compiles them in parallel): r in {1, 2} x hi bits {0, 4, 8} x tier {0, 1, 2}.
#include "kernels/vq_gemv_kernel.cuh"

namespace vqt {

namespace {

template <int R, int HI, bool LAT>
GemvKernelFn pick_tier(int tier) {
  switch (tier) {
    case 0:
      return dev::vq_gemv_kernel<2, R, HI, LAT, 0>;
    case 1:
      return dev::vq_gemv_kernel<2, R, HI, LAT, 1>;
    case 2:
      return dev::vq_gemv_kernel<2, R, HI, LAT, 2>;
    default:
      return nullptr;
  }
}

template <int R>
GemvKernelFn pick_hi(int hi_bits, int tier) {
  switch (hi_bits) {
    case 0:
      return pick_tier<R, 0, false>(tier);
    case 4:
      return pick_tier<R, 4, false>(tier);
    case 8:
      return pick_tier<R, 8, false>(tier);
    default:
      return nullptr;
  }
}

template <int R>
GemvKernelFn pick_dequant(int hi_bits) {
  switch (hi_bits) {
    case 0:
      return dev::vq_dequant_kernel<2, R, 0, false>;
    case 4:
      return dev::vq_dequant_kernel<2, R, 4, false>;
    case 8:
      return dev::vq_dequant_kernel<2, R, 8, false>;
    default:
      return nullptr;
  }
}

}  // namespace

GemvKernelFn find_gemv_kernel_v2(int r, int hi_bits, bool lattice, int tier) {
  if (lattice) return nullptr;
  if (r == 1) return pick_hi<1>(hi_bits, tier);
  if (r == 2) return pick_hi<2>(hi_bits, tier);
  return nullptr;
}

GemvKernelFn find_dequant_kernel_v2(int r, int hi_bits, bool lattice) {
  if (lattice) return nullptr;
  if (r == 1) return pick_dequant<1>(hi_bits);
  if (r == 2) return pick_dequant<2>(hi_bits);
  return nullptr;
}

}  // namespace vqt
