// Our fp16 decode attention (flash-decoding): the baseline the CQ kernels are measured against.
//
// One block per (query head, context split, sequence); each warp takes 16-token tiles (round
// robin). A token's K row (D fp16) is read by D / 8 lanes with 16-byte loads, so one warp load
// covers 32 / (D / 8) tokens; the 16 x D tile is 8 (D = 128) or 4 (D = 64) loads per lane. The
// V tile of the current step is issued before the scores are computed and the K tile of the next
// step right after, so two tiles are in flight per warp. Per-lane dot products are finished by a
// transpose-reduction across the lanes of a token; online softmax per warp in the log2 domain;
// warps merge in shared memory, splits in combine_splits_kernel.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kernels/attention_common.cuh"
#include "kernels/attention_decode.hpp"

namespace vqt {
namespace {

__device__ __forceinline__ void unpack8(const uint4& w, float* f) {
  const __half2* h = reinterpret_cast<const __half2*>(&w);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 x = __half22float2(h[i]);
    f[2 * i] = x.x;
    f[2 * i + 1] = x.y;
  }
}

template <int D, int Warps>
__global__ void __launch_bounds__(Warps * 32)
    fp16_decode_split_kernel(const __half* __restrict__ q, const __half* __restrict__ k,
                             const __half* __restrict__ v, __half* __restrict__ out,
                             float* __restrict__ partial, int q_heads, int q_per_kv, int kv_heads,
                             std::int64_t capacity, std::int64_t context, int tokens_per_split,
                             int splits, float scale_log2) {
  constexpr int kLpt = D / 8;        // lanes per token
  constexpr int kTpl = 32 / kLpt;    // tokens per warp load
  constexpr int kLoads = 16 / kTpl;  // loads per lane per 16-token tile
  __shared__ float red[Warps * (D + 2)];

  const int hq = blockIdx.x;
  const int split = blockIdx.y;
  const int b = blockIdx.z;
  const int hk = hq / q_per_kv;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int sub = lane % kLpt;  // which 8 channels
  const int tok = lane / kLpt;  // which token of a load
  const std::int64_t row = std::int64_t(b) * q_heads + hq;

  float qf[8];
  unpack8(*reinterpret_cast<const uint4*>(q + row * D + sub * 8), qf);
#pragma unroll
  for (int i = 0; i < 8; ++i) qf[i] *= scale_log2;

  const std::int64_t t_begin = std::int64_t(split) * tokens_per_split;
  const std::int64_t t_end = min(context, t_begin + tokens_per_split);
  const std::int64_t tile_end = (t_end + 15) / 16;
  const std::int64_t seq = (std::int64_t(b) * kv_heads + hk) * capacity * D;
  // uint4 index of (token t, this lane's channels)
  const uint4* kb = reinterpret_cast<const uint4*>(k + seq) + sub;
  const uint4* vb = reinterpret_cast<const uint4*>(v + seq) + sub;
  constexpr int kRow = D / 8;  // uint4 per token

  float m = -INFINITY, l = 0.f;
  float acc[8];
#pragma unroll
  for (int i = 0; i < 8; ++i) acc[i] = 0.f;

  std::int64_t tile = t_begin / 16 + warp;
  uint4 kr[kLoads], vr[kLoads];
  if (tile < tile_end) {
#pragma unroll
    for (int j = 0; j < kLoads; ++j) kr[j] = __ldcs(kb + (tile * 16 + j * kTpl + tok) * kRow);
  }
  for (; tile < tile_end; tile += Warps) {
#pragma unroll
    for (int j = 0; j < kLoads; ++j) {
      // Slots past the context may hold anything (NaN too): never let them into p * V.
      const std::int64_t t = tile * 16 + j * kTpl + tok;
      vr[j] = t < t_end ? __ldcs(vb + t * kRow) : make_uint4(0, 0, 0, 0);
    }
    float s[kLoads];
#pragma unroll
    for (int j = 0; j < kLoads; ++j) {
      float kf[8];
      unpack8(kr[j], kf);
      float d = 0.f;
#pragma unroll
      for (int i = 0; i < 8; ++i) d = fmaf(qf[i], kf[i], d);
      s[j] = d;
    }
    const std::int64_t next = tile + Warps;
    if (next < tile_end) {
#pragma unroll
      for (int j = 0; j < kLoads; ++j) kr[j] = __ldcs(kb + (next * 16 + j * kTpl + tok) * kRow);
    }
    // Reduce over the kLpt lanes of each token: lane ends with load j = (lane >> 1) % kLoads.
    if constexpr (kLoads == 8) {
      attn::transpose_reduce_step<8, 8>(s, lane);
      attn::transpose_reduce_step<4, 4>(s, lane);
      attn::transpose_reduce_step<2, 2>(s, lane);
    } else {
      attn::transpose_reduce_step<4, 4>(s, lane);
      attn::transpose_reduce_step<2, 2>(s, lane);
    }
    float sc = s[0] + __shfl_xor_sync(attn::kFullMask, s[0], 1);
    const int jm = (lane >> 1) % kLoads;
    if (tile * 16 + jm * kTpl + tok >= t_end) sc = -INFINITY;
    const float m_new = fmaxf(m, attn::warp_max(sc));
    const float alpha = exp2f(m - m_new);
    const float p = exp2f(sc - m_new);
    l *= alpha;
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[i] *= alpha;
#pragma unroll
    for (int j = 0; j < kLoads; ++j) {
      // The lane holding (load j, token tok): same token group, position 2j.
      const float pt = __shfl_sync(attn::kFullMask, p, tok * kLpt + 2 * j);
      l += pt;
      float vf[8];
      unpack8(vr[j], vf);
#pragma unroll
      for (int i = 0; i < 8; ++i) acc[i] = fmaf(pt, vf[i], acc[i]);
    }
    m = m_new;
  }
  // Sum over the token positions of a load (lanes with the same `sub`).
#pragma unroll
  for (int off = kLpt; off < 32; off <<= 1) {
    l += __shfl_xor_sync(attn::kFullMask, l, off);
#pragma unroll
    for (int i = 0; i < 8; ++i) acc[i] += __shfl_xor_sync(attn::kFullMask, acc[i], off);
  }
  float* my = red + warp * (D + 2);
  if (lane < kLpt) {
#pragma unroll
    for (int i = 0; i < 8; ++i) my[sub * 8 + i] = acc[i];
  }
  if (lane == 0) {
    my[D] = m;
    my[D + 1] = l;
  }
  __syncthreads();
  for (int c = threadIdx.x; c < D; c += Warps * 32)
    attn::merge_warps<D>(red, Warps, c, split, splits, row, out, partial);
}

template <int D, int Warps>
cudaError_t launch_fp16(const AttentionShape& s, const AttentionParams& p, const std::uint16_t* q,
                        const std::uint16_t* k, const std::uint16_t* v, std::uint16_t* out,
                        float* partial, int splits, cudaStream_t stream) {
  const dim3 grid(unsigned(s.q_heads), unsigned(splits), unsigned(s.batch));
  const float scale_log2 = attn::kLog2e / sqrtf(float(D));
  fp16_decode_split_kernel<D, Warps><<<grid, Warps * 32, 0, stream>>>(
      reinterpret_cast<const __half*>(q), reinterpret_cast<const __half*>(k),
      reinterpret_cast<const __half*>(v), reinterpret_cast<__half*>(out), partial, s.q_heads,
      s.q_heads / s.kv_heads, s.kv_heads, s.capacity, s.context, p.tokens_per_split, splits,
      scale_log2);
  return cudaGetLastError();
}

}  // namespace

cudaError_t attention_decode_fp16(const AttentionShape& s, const AttentionParams& p,
                                  const std::uint16_t* q, const std::uint16_t* k,
                                  const std::uint16_t* v, std::uint16_t* out, void* workspace,
                                  std::size_t workspace_bytes, cudaStream_t stream) {
  if (s.format != KvFormat::fp16 || !can_implement_attention(s, p)) return cudaErrorInvalidValue;
  if (workspace_bytes < attention_workspace_bytes(s, p)) return cudaErrorInvalidValue;
  const int splits = int(attention_splits(s, p));
  float* partial = static_cast<float*>(workspace);
  cudaError_t err;
  if (s.head_dim == 128)
    err = p.threads == 512 ? launch_fp16<128, 16>(s, p, q, k, v, out, partial, splits, stream)
                           : launch_fp16<128, 8>(s, p, q, k, v, out, partial, splits, stream);
  else
    err = p.threads == 512 ? launch_fp16<64, 16>(s, p, q, k, v, out, partial, splits, stream)
                           : launch_fp16<64, 8>(s, p, q, k, v, out, partial, splits, stream);
  if (err != cudaSuccess || splits == 1) return err;
  if (s.head_dim == 128)
    attn::combine_splits_kernel<128>
        <<<unsigned(std::int64_t(s.batch) * s.q_heads), 128, 0, stream>>>(
            partial, splits, reinterpret_cast<__half*>(out));
  else
    attn::combine_splits_kernel<64><<<unsigned(std::int64_t(s.batch) * s.q_heads), 64, 0, stream>>>(
        partial, splits, reinterpret_cast<__half*>(out));
  return cudaGetLastError();
}

}  // namespace vqt
