// The bounded instance list of the fused VQ GEMV and the dequantize baseline for one vector size V:
// r in {1, 2} x hi bits {0, 4, 8} x tier {0, 1, 2}, plus the quip#-4 lattice kernel (V = 8, r = 2,
// hi bits 8). Each vq_gemv_v<V>.cu instantiates it for its V, so a 2-core build compiles the
// three vector sizes in parallel (docs/kernels.md).
#pragma once

#include "kernels/vq_gemv_kernel.cuh"

namespace vqt::gemv_instances {

template <int V, int R, int HI, bool LAT>
GemvKernelFn pick_tier(int tier) {
  switch (tier) {
    case 0:
      return dev::vq_gemv_kernel<V, R, HI, LAT, 0>;
    case 1:
      return dev::vq_gemv_kernel<V, R, HI, LAT, 1>;
    case 2:
      return dev::vq_gemv_kernel<V, R, HI, LAT, 2>;
    default:
      return nullptr;
  }
}

template <int V, int R>
GemvKernelFn pick_hi(int hi_bits, int tier) {
  switch (hi_bits) {
    case 0:
      return pick_tier<V, R, 0, false>(tier);
    case 4:
      return pick_tier<V, R, 4, false>(tier);
    case 8:
      return pick_tier<V, R, 8, false>(tier);
    default:
      return nullptr;
  }
}

template <int V, int R>
GemvKernelFn pick_dequant(int hi_bits) {
  switch (hi_bits) {
    case 0:
      return dev::vq_dequant_kernel<V, R, 0, false>;
    case 4:
      return dev::vq_dequant_kernel<V, R, 4, false>;
    case 8:
      return dev::vq_dequant_kernel<V, R, 8, false>;
    default:
      return nullptr;
  }
}

// Lattice kernels exist for V = 8, r = 2, 16-bit codes (quip#-4) only.
template <int V>
GemvKernelFn find_gemv(int r, int hi_bits, bool lattice, int tier) {
  if (lattice) {
    if constexpr (V == 8) return r == 2 && hi_bits == 8 ? pick_tier<8, 2, 8, true>(tier) : nullptr;
    return nullptr;
  }
  if (r == 1) return pick_hi<V, 1>(hi_bits, tier);
  if (r == 2) return pick_hi<V, 2>(hi_bits, tier);
  return nullptr;
}

template <int V>
GemvKernelFn find_dequant(int r, int hi_bits, bool lattice) {
  if (lattice) {
    if constexpr (V == 8)
      return r == 2 && hi_bits == 8 ? dev::vq_dequant_kernel<8, 2, 8, true> : nullptr;
    return nullptr;
  }
  if (r == 1) return pick_dequant<V, 1>(hi_bits);
  if (r == 2) return pick_dequant<V, 2>(hi_bits);
  return nullptr;
}

}  // namespace vqt::gemv_instances
