// Device pieces shared by the decode-attention kernels: warp transpose-reductions, the per-block
// merge of warp partials and the split-softmax combine kernel. Scores are in the log2 domain
// (the query is pre-scaled by log2(e) / sqrt(head_dim)), so exp2f is the exponential.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace vqt {
namespace attn {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;

// One step of a transpose-reduction: each lane holds N partial sums (of N different items) and
// the lanes `off` apart hold partials of the same N items. Afterwards each lane holds N / 2 sums,
// of items j + (N / 2) * bit(lane, off).
template <int N, int Off>
__device__ __forceinline__ void transpose_reduce_step(float* p, int lane) {
  const bool hi = (lane & Off) != 0;
#pragma unroll
  for (int j = 0; j < N / 2; ++j) {
    const float send = hi ? p[j] : p[j + N / 2];
    const float keep = hi ? p[j + N / 2] : p[j];
    p[j] = keep + __shfl_xor_sync(kFullMask, send, Off);
  }
}

// Byte t (0..15, a compile-time constant after unrolling) of a 16-byte word.
__device__ __forceinline__ unsigned byte_of(const uint4& w, int t) {
  const unsigned word = t < 4 ? w.x : t < 8 ? w.y : t < 12 ? w.z : w.w;
  return (word >> (8 * (t & 3))) & 0xffu;
}

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) x = fmaxf(x, __shfl_xor_sync(kFullMask, x, off));
  return x;
}

// Merges the warps' partial states red[w] = {acc[0..D), m, l} of one block into channel c.
// Writes out (normalised, fp16) when there is one split, else the split's partial {O, M, L}.
template <int D>
__device__ __forceinline__ void merge_warps(const float* red, int warps, int c, int split,
                                            int splits, std::int64_t row, __half* out,
                                            float* partial) {
  float m_max = -INFINITY;
  for (int w = 0; w < warps; ++w) m_max = fmaxf(m_max, red[w * (D + 2) + D]);
  float l_sum = 0.f, o = 0.f;
  for (int w = 0; w < warps; ++w) {
    const float mw = red[w * (D + 2) + D];
    const float f = mw == -INFINITY ? 0.f : exp2f(mw - m_max);
    l_sum += red[w * (D + 2) + D + 1] * f;
    o += red[w * (D + 2) + c] * f;
  }
  if (splits == 1) {
    out[row * D + c] = __float2half(o / l_sum);
  } else {
    float* part = partial + (row * splits + split) * (D + 2);
    part[c] = o;
    if (c == 0) {
      part[D] = m_max;
      part[D + 1] = l_sum;
    }
  }
}

// Split-softmax combine: grid (q_heads * batch), D threads. partial[row][split] = {O, M, L}.
template <int D>
__global__ void combine_splits_kernel(const float* __restrict__ partial, int splits,
                                      __half* __restrict__ out) {
  const std::int64_t row = blockIdx.x;
  const int c = threadIdx.x;
  const float* base = partial + row * splits * (D + 2);
  float m_max = -INFINITY;
  for (int s = 0; s < splits; ++s) m_max = fmaxf(m_max, base[s * (D + 2) + D]);
  float l_sum = 0.f, o = 0.f;
  for (int s = 0; s < splits; ++s) {
    const float ms = base[s * (D + 2) + D];
    const float f = ms == -INFINITY ? 0.f : exp2f(ms - m_max);
    l_sum += base[s * (D + 2) + D + 1] * f;
    o += base[s * (D + 2) + c] * f;
  }
  out[row * D + c] = __float2half(o / l_sum);
}

}  // namespace attn
}  // namespace vqt
