// kv_append_cq: nearest-entry quantization of a new token's K and V (see kv_append.hpp).
// Grid (kv_heads, batch, 2 = K/V); one warp per channel group at a time, each lane scoring 8 of
// the 256 entries, then a warp argmin on (distance, index).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kernels/attention_layout.hpp"
#include "kernels/kv_append.hpp"

namespace vqt {
namespace {

template <int V>
__global__ void kv_append_kernel(const __half* __restrict__ k_new, const __half* __restrict__ v_new,
                                 std::uint8_t* __restrict__ codes_k,
                                 std::uint8_t* __restrict__ codes_v,
                                 const __half* __restrict__ cb_k, const __half* __restrict__ cb_v,
                                 int kv_heads, std::int64_t capacity, std::int64_t position) {
  constexpr int D = 128, G = D / V;
  const int h = blockIdx.x, b = blockIdx.y;
  const bool keys = blockIdx.z == 0;
  const __half* x = (keys ? k_new : v_new) + (std::int64_t(b) * kv_heads + h) * D;
  const __half* cb = (keys ? cb_k : cb_v) + std::int64_t(h) * kCqEntries * G * V;
  std::uint8_t* codes = keys ? codes_k : codes_v;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int g = warp; g < G; g += warps) {
    float xv[V];
#pragma unroll
    for (int j = 0; j < V; ++j) xv[j] = __half2float(x[g * V + j]);
    float best = INFINITY;
    int best_e = 0;
    for (int e = lane; e < kCqEntries; e += 32) {
      float d = 0.f;
#pragma unroll
      for (int j = 0; j < V; ++j) {
        const float diff = xv[j] - __half2float(cb[(e * G + g) * V + j]);
        d = fmaf(diff, diff, d);
      }
      if (d < best) {  // entries scanned in increasing order: ties keep the lower index
        best = d;
        best_e = e;
      }
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
      const float ob = __shfl_xor_sync(0xffffffffu, best, off);
      const int oe = __shfl_xor_sync(0xffffffffu, best_e, off);
      if (ob < best || (ob == best && oe < best_e)) {
        best = ob;
        best_e = oe;
      }
    }
    if (lane == 0)
      codes[cq_code_offset(b, h, position, g, kv_heads, capacity, G)] = std::uint8_t(best_e);
  }
}

}  // namespace

cudaError_t kv_append_cq(const AttentionShape& s, std::int64_t position, const std::uint16_t* k_new,
                         const std::uint16_t* v_new, std::uint8_t* codes_k, std::uint8_t* codes_v,
                         const CqKvView& kv, cudaStream_t stream) {
  if (s.format != KvFormat::cq || s.head_dim != 128 || (s.vec_size != 2 && s.vec_size != 4) ||
      position < 0 || position >= s.capacity || s.capacity % kCqTileTokens != 0 || s.batch < 1 ||
      s.kv_heads < 1 || !k_new || !v_new || !codes_k || !codes_v || !kv.codebook_k ||
      !kv.codebook_v)
    return cudaErrorInvalidValue;
  const dim3 grid(unsigned(s.kv_heads), unsigned(s.batch), 2);
  const auto* kh = reinterpret_cast<const __half*>(k_new);
  const auto* vh = reinterpret_cast<const __half*>(v_new);
  const auto* cbk = reinterpret_cast<const __half*>(kv.codebook_k);
  const auto* cbv = reinterpret_cast<const __half*>(kv.codebook_v);
  if (s.vec_size == 2)
    kv_append_kernel<2><<<grid, 256, 0, stream>>>(kh, vh, codes_k, codes_v, cbk, cbv, s.kv_heads,
                                                  s.capacity, position);
  else
    kv_append_kernel<4><<<grid, 256, 0, stream>>>(kh, vh, codes_k, codes_v, cbk, cbv, s.kv_heads,
                                                  s.capacity, position);
  return cudaGetLastError();
}

}  // namespace vqt
