// Decode attention over a CQ-compressed KV cache (cq-4 = VQ<2,8,1>, cq-2 = VQ<4,8,1> per kv head
// and channel group), token-split (flash-decoding) dataflow.
//
// One block per (query head, context split, sequence). Setup: the block turns the query into a
// query x centroid table T[e][g] = (q_g . Ck[g][e]) * log2(e) / sqrt(D) in shared memory (fp32,
// 256 x G entries) and copies the V codebook of its kv head into shared memory. Main loop: each
// warp takes 16-token tiles (round robin); lane g owns channel groups g and g + 32 (cq-4) or g
// (cq-2), reads the 16 K codes and 16 V codes of its groups with one 16-byte load each (the
// device layout is group-major inside a tile) and prefetches the next tile into registers. A
// score is a sum of G table lookups: each lane sums its groups for the 16 tokens, then a
// transpose-reduction (16 shuffles per tile) gives every lane pair one token's score. Online
// softmax per warp; V is dequantized from the shared-memory codebook and accumulated in fp32.
// Table and codebook are [entry][group]: the lanes of a warp read 32 different banks whatever the
// codes are. Warps merge in shared memory; splits merge in combine_splits_kernel.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "kernels/attention_common.cuh"
#include "kernels/attention_decode.hpp"

namespace vqt {
namespace {

constexpr int kD = 128;
constexpr int kE = 256;

template <int V>
constexpr std::size_t cq_smem_bytes(int warps) {
  constexpr int G = kD / V;
  return std::size_t(kE) * G * 4 + std::size_t(kE) * G * V * 2 + kD * 4 +
         std::size_t(warps) * (kD + 2) * 4;
}

template <int V, int Warps, int MinBlocks>
__global__ void __launch_bounds__(Warps * 32, MinBlocks)
    cq_decode_split_kernel(const __half* __restrict__ q, const std::uint8_t* __restrict__ codes_k,
                           const std::uint8_t* __restrict__ codes_v,
                           const __half* __restrict__ cb_k, const __half* __restrict__ cb_v,
                           __half* __restrict__ out, float* __restrict__ partial, int q_heads,
                           int q_per_kv, int kv_heads, std::int64_t capacity, std::int64_t context,
                           int tokens_per_split, int splits, float scale_log2) {
  constexpr int G = kD / V;    // channel groups (codebooks) per head
  constexpr int Gpl = G / 32;  // groups per lane
  constexpr int kThreads = Warps * 32;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  float* table = reinterpret_cast<float*>(smem_raw);        // [E][G]
  __half* cbv = reinterpret_cast<__half*>(table + kE * G);  // [E][G][V]
  float* q_s = reinterpret_cast<float*>(cbv + kE * G * V);  // [D]
  float* red = q_s + kD;                                    // [Warps][D + 2]

  const int hq = blockIdx.x;
  const int split = blockIdx.y;
  const int b = blockIdx.z;
  const int hk = hq / q_per_kv;
  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const std::int64_t row = std::int64_t(b) * q_heads + hq;

  for (int c = tid; c < kD; c += kThreads) q_s[c] = __half2float(q[row * kD + c]) * scale_log2;
  {
    const uint4* src = reinterpret_cast<const uint4*>(cb_v + std::int64_t(hk) * kE * G * V);
    uint4* dst = reinterpret_cast<uint4*>(cbv);
    constexpr int n = kE * G * V * 2 / 16;
    for (int i = tid; i < n; i += kThreads) dst[i] = __ldg(src + i);
  }
  __syncthreads();
  {
    const __half2* ck = reinterpret_cast<const __half2*>(cb_k + std::int64_t(hk) * kE * G * V);
    for (int idx = tid; idx < kE * G; idx += kThreads) {
      const int g = idx % G;
      float s = 0.f;
#pragma unroll
      for (int j = 0; j < V / 2; ++j) {
        const float2 c2 = __half22float2(__ldg(ck + idx * (V / 2) + j));
        s = fmaf(q_s[g * V + 2 * j], c2.x, s);
        s = fmaf(q_s[g * V + 2 * j + 1], c2.y, s);
      }
      table[idx] = s;
    }
  }
  __syncthreads();

  const std::int64_t t_begin = std::int64_t(split) * tokens_per_split;
  const std::int64_t t_end = min(context, t_begin + tokens_per_split);
  const std::int64_t tile_end = (t_end + 15) / 16;
  const std::int64_t seq = (std::int64_t(b) * kv_heads + hk) * capacity * G;
  const uint4* kc_base = reinterpret_cast<const uint4*>(codes_k + seq);
  const uint4* vc_base = reinterpret_cast<const uint4*>(codes_v + seq);

  float m = -INFINITY, l = 0.f;
  float acc[Gpl][V];
#pragma unroll
  for (int i = 0; i < Gpl; ++i)
#pragma unroll
    for (int j = 0; j < V; ++j) acc[i][j] = 0.f;

  std::int64_t tile = t_begin / 16 + warp;
  uint4 kc[Gpl], vc[Gpl];
  if (tile < tile_end) {
#pragma unroll
    for (int i = 0; i < Gpl; ++i) {
      kc[i] = __ldcs(kc_base + tile * G + lane + 32 * i);
      vc[i] = __ldcs(vc_base + tile * G + lane + 32 * i);
    }
  }
  for (; tile < tile_end; tile += Warps) {
    const std::int64_t next = tile + Warps;
    uint4 kn[Gpl], vn[Gpl];
    if (next < tile_end) {
#pragma unroll
      for (int i = 0; i < Gpl; ++i) {
        kn[i] = __ldcs(kc_base + next * G + lane + 32 * i);
        vn[i] = __ldcs(vc_base + next * G + lane + 32 * i);
      }
    }
    // Partial scores of the 16 tokens over this lane's groups.
    float s[16];
#pragma unroll
    for (int t = 0; t < 16; ++t) s[t] = 0.f;
#pragma unroll
    for (int i = 0; i < Gpl; ++i) {
      const float* tb = table + lane + 32 * i;
#pragma unroll
      for (int t = 0; t < 16; ++t) s[t] += tb[attn::byte_of(kc[i], t) * G];
    }
    attn::transpose_reduce_step<16, 16>(s, lane);
    attn::transpose_reduce_step<8, 8>(s, lane);
    attn::transpose_reduce_step<4, 4>(s, lane);
    attn::transpose_reduce_step<2, 2>(s, lane);
    float sc = s[0] + __shfl_xor_sync(attn::kFullMask, s[0], 1);
    // Lanes 2j and 2j+1 now hold the score of token j of the tile.
    if (tile * 16 + ((lane >> 1) & 15) >= t_end) sc = -INFINITY;
    const float m_new = fmaxf(m, attn::warp_max(sc));
    const float alpha = exp2f(m - m_new);
    const float p = exp2f(sc - m_new);
    l *= alpha;
#pragma unroll
    for (int i = 0; i < Gpl; ++i)
#pragma unroll
      for (int j = 0; j < V; ++j) acc[i][j] *= alpha;
#pragma unroll
    for (int t = 0; t < 16; ++t) {
      const float pt = __shfl_sync(attn::kFullMask, p, 2 * t);
      l += pt;
#pragma unroll
      for (int i = 0; i < Gpl; ++i) {
        const unsigned e = attn::byte_of(vc[i], t);
        const __half2* cv = reinterpret_cast<const __half2*>(cbv + (e * G + lane + 32 * i) * V);
        if constexpr (V == 2) {
          const float2 f = __half22float2(cv[0]);
          acc[i][0] = fmaf(pt, f.x, acc[i][0]);
          acc[i][1] = fmaf(pt, f.y, acc[i][1]);
        } else {
          const uint2 raw = *reinterpret_cast<const uint2*>(cv);
          const float2 f0 = __half22float2(*reinterpret_cast<const __half2*>(&raw.x));
          const float2 f1 = __half22float2(*reinterpret_cast<const __half2*>(&raw.y));
          acc[i][0] = fmaf(pt, f0.x, acc[i][0]);
          acc[i][1] = fmaf(pt, f0.y, acc[i][1]);
          acc[i][2] = fmaf(pt, f1.x, acc[i][2]);
          acc[i][3] = fmaf(pt, f1.y, acc[i][3]);
        }
      }
    }
    m = m_new;
#pragma unroll
    for (int i = 0; i < Gpl; ++i) {
      kc[i] = kn[i];
      vc[i] = vn[i];
    }
  }

  float* my = red + warp * (kD + 2);
#pragma unroll
  for (int i = 0; i < Gpl; ++i)
#pragma unroll
    for (int j = 0; j < V; ++j) my[(lane + 32 * i) * V + j] = acc[i][j];
  if (lane == 0) {
    my[kD] = m;
    my[kD + 1] = l;
  }
  __syncthreads();
  for (int c = tid; c < kD; c += kThreads)
    attn::merge_warps<kD>(red, Warps, c, split, splits, row, out, partial);
}

template <int V, int Warps, int MinBlocks>
cudaError_t launch_cq(const AttentionShape& s, const AttentionParams& p, const std::uint16_t* q,
                      const CqKvView& kv, std::uint16_t* out, float* partial, int splits,
                      cudaStream_t stream) {
  auto kernel = cq_decode_split_kernel<V, Warps, MinBlocks>;
  const std::size_t smem = cq_smem_bytes<V>(Warps);
  cudaError_t err =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem));
  if (err != cudaSuccess) return err;
  const dim3 grid(unsigned(s.q_heads), unsigned(splits), unsigned(s.batch));
  const float scale_log2 = attn::kLog2e / sqrtf(float(s.head_dim));
  kernel<<<grid, Warps * 32, smem, stream>>>(
      reinterpret_cast<const __half*>(q), kv.codes_k, kv.codes_v,
      reinterpret_cast<const __half*>(kv.codebook_k),
      reinterpret_cast<const __half*>(kv.codebook_v), reinterpret_cast<__half*>(out), partial,
      s.q_heads, s.q_heads / s.kv_heads, s.kv_heads, s.capacity, s.context, p.tokens_per_split,
      splits, scale_log2);
  return cudaGetLastError();
}

}  // namespace

cudaError_t attention_decode_cq(const AttentionShape& s, const AttentionParams& p,
                                const std::uint16_t* q, const CqKvView& kv, std::uint16_t* out,
                                void* workspace, std::size_t workspace_bytes, cudaStream_t stream) {
  if (s.format != KvFormat::cq || !can_implement_attention(s, p)) return cudaErrorInvalidValue;
  if (workspace_bytes < attention_workspace_bytes(s, p)) return cudaErrorInvalidValue;
  const int splits = int(attention_splits(s, p));
  float* partial = static_cast<float*>(workspace);
  cudaError_t err;
  if (s.vec_size == 2)
    err = p.threads == 512 ? launch_cq<2, 16, 1>(s, p, q, kv, out, partial, splits, stream)
                           : launch_cq<2, 8, 1>(s, p, q, kv, out, partial, splits, stream);
  else
    err = p.threads == 512 ? launch_cq<4, 16, 2>(s, p, q, kv, out, partial, splits, stream)
                           : launch_cq<4, 8, 2>(s, p, q, kv, out, partial, splits, stream);
  if (err != cudaSuccess || splits == 1) return err;
  attn::combine_splits_kernel<kD><<<unsigned(std::int64_t(s.batch) * s.q_heads), kD, 0, stream>>>(
      partial, splits, reinterpret_cast<__half*>(out));
  return cudaGetLastError();
}

}  // namespace vqt
