// The fused VQ GEMM kernel template (prefill, m >= 32 tokens): y[m][n] = sum_k x[m][k] W[n][k].
//
// A warp owns 16 rows of W and decodes them chunk by chunk straight into m16n8k16 A fragments,
// exactly as the GEMV does (same device layout, geometry and codebook cache: the mma k order is
// permuted so that each lane's codewords are its own fragment slots). The block's tile of
// tile_m = 8 * NT tokens of x is the B operand: staged per chunk in shared memory with cp.async
// (two stages: chunk c + 1 loads while chunk c multiplies), rows padded by one step of k so that
// the lanes' 8/16-byte B loads hit distinct banks. One decoded A fragment feeds NT mmas.
// Work item = (row block, token tile, k slice); inside a block, k_groups warps share a row tile
// and take consecutive chunks (a group of k_groups chunks is staged at once), their partials
// added in shared memory at the end; split_k > 1 writes fp32 partials and the last block of each
// tile (an arrival counter) adds them up and writes y. per_tile codebooks (GPTVQ) are refilled at
// each tile column. Only included by the instance files gemm_vq_v{4,8}.cu.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/gemm_kernel_args.hpp"
#include "kernels/vq_gemv_kernel.cuh"

namespace vqt::dev {

__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(s), "l"(gmem));
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;");
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(N));
}

template <int V, int R, int HI, bool LAT, int TIER, int NT>
struct GemmTile {
  static constexpr GemvGeometry G = gemv_geometry(V, R);
  static constexpr int EP = G.ep;
  static constexpr int TM = 8 * NT;
  static constexpr int kRowStride = G.chunk_k + 4 * EP;  // halves
  static constexpr int kStage = TM * kRowStride;         // halves

  // Stages x[m0 .. m0 + TM)[chunk ch] into xs (zero rows past m).
  static __device__ __forceinline__ void stage(const GemmKernelArgs& a, __half* xs, int m0, int ch,
                                               int tid, int nthreads) {
    constexpr int kUnits = G.chunk_k / 8;  // 16-byte units per row
    for (int i = tid; i < TM * kUnits; i += nthreads) {
      const int r = i / kUnits, u = i - r * kUnits;
      __half* dst = xs + r * kRowStride + u * 8;
      const int tok = m0 + r;
      if (tok < a.m)
        cp_async_16(dst, a.x + std::size_t(tok) * std::size_t(a.cols) +
                             std::size_t(ch) * G.chunk_k + u * 8);
      else
        *reinterpret_cast<uint4*>(dst) = make_uint4(0, 0, 0, 0);
    }
  }

  static __device__ __forceinline__ void chunk(const CbCache<V, R, TIER, 0>& cache,
                                               const ChunkCodes<HI>& codes, const __half* xs, int g,
                                               int t, float (&acc)[NT][4]) {
    constexpr GemvGeometry geo = gemv_geometry(V, R);  // a local copy: G is not device-visible
#pragma unroll
    for (int s = 0; s < G.steps_per_chunk; ++s) {
      std::uint32_t aw[2][EP / 2];
#pragma unroll
      for (int rh = 0; rh < 2; ++rh)
#pragma unroll
        for (int cw = 0; cw < G.cw_per_step; ++cw) {
          CbEntry<V> sum;
#pragma unroll
          for (int l = 0; l < R; ++l) {
            // TIER 1 holds every entry in shared memory: no tier test (lookup<true>).
            const int q = gemv_code_slot(geo, s, rh, cw, l);
            CbEntry<V> e;
            if constexpr (LAT) {
              e = cache.template lookup<TIER == 1>(l, lattice_row<HI>(codes, q));
              apply_lattice_signs(e, lattice_signs<HI>(codes, q));
            } else {
              e = cache.template lookup<TIER == 1>(l, code_at<HI>(codes, q));
            }
            sum = l == 0 ? e : add_entries<V>(sum, e);
          }
#pragma unroll
          for (int j = 0; j < V / 2; ++j) aw[rh][cw * (V / 2) + j] = sum.w[j];
        }
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const __half* xp = xs + (nt * 8 + g) * kRowStride + s * G.step_k + EP * t;
        std::uint32_t xb[EP / 2];
        if constexpr (EP == 8) {
          const uint4 u = *reinterpret_cast<const uint4*>(xp);
          xb[0] = u.x, xb[1] = u.y, xb[2] = u.z, xb[3] = u.w;
        } else {
          const uint2 u = *reinterpret_cast<const uint2*>(xp);
          xb[0] = u.x, xb[1] = u.y;
        }
#pragma unroll
        for (int mm = 0; mm < G.mmas_per_step; ++mm)
          mma_16816(acc[nt], aw[0][2 * mm], aw[1][2 * mm], aw[0][2 * mm + 1], aw[1][2 * mm + 1],
                    xb[2 * mm], xb[2 * mm + 1]);
      }
    }
  }
};

template <int V, int R, int HI, bool LAT, int TIER, int NT>
__global__ void __launch_bounds__(256) vq_gemm_kernel(const GemmKernelArgs a) {
  using Tile = GemmTile<V, R, HI, LAT, TIER, NT>;
  extern __shared__ uint4 smem_raw[];
  const int kg = a.k_groups;  // warps sharing a row tile, each on its own chunk of a group
  __half* xs = reinterpret_cast<__half*>(smem_raw);  // [2 buffers][kg][stage]
  __half* cbs = xs + 2 * kg * Tile::kStage;
  const int tid = threadIdx.x, nthreads = blockDim.x;
  const int lane = tid & 31, warp = tid >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int kgi = warp % kg;  // this warp's chunk within a group
  const int tiles_per_block = a.warps / kg;

  const int item = blockIdx.x;
  const int ks = item % a.split_k;
  const int rest = item / a.split_k;
  const int mt = rest % a.m_tiles;
  const int rb = rest / a.m_tiles;
  const int rt = rb * tiles_per_block + warp / kg;  // 16-row tile (rows % 16 == 0: always live)
  const int m0 = mt * Tile::TM;
  const bool per_tile = a.tile_chunks > 0;

  int c0, c1;
  if (per_tile) {
    const int ntc = a.chunks / a.tile_chunks;
    c0 = int(std::int64_t(ks) * ntc / a.split_k) * a.tile_chunks;
    c1 = int(std::int64_t(ks + 1) * ntc / a.split_k) * a.tile_chunks;
  } else {
    c0 = int(std::int64_t(ks) * a.chunks / a.split_k);
    c1 = int(std::int64_t(ks + 1) * a.chunks / a.split_k);
  }

  CbCache<V, R, TIER, 0> cache;
  cache.view.global = a.codebooks;
  cache.view.smem = cbs;
  cache.view.stored = a.stored;
  cache.view.n_reg = 0;
  cache.view.n_smem = a.n_smem;
  cache.view.copy_shift = a.copy_shift;
  cache.view.lane_copy = lane & ((1 << a.copy_shift) - 1);
  cache.view.l1_bypass = false;
  cache.prepare_smem();  // shared addresses of the levels (codebook_cache.cuh); view.smem is fixed
  const std::size_t inst_halves = std::size_t(R) * std::size_t(a.stored) * V;
  auto fill = [&](std::int64_t instance) {
    cache.view.global = a.codebooks + std::size_t(instance) * inst_halves;
    if constexpr (TIER > 0) fill_smem_tier<V, R>(cache.view, cbs, tid, nthreads);
  };
  if (!per_tile) fill(0);
  // Stages the chunks [ch, ch + kg) (those below c1) into buffer `buf`.
  auto stage_group = [&](int ch, int buf) {
    for (int j = 0; j < kg && ch + j < c1; ++j)
      Tile::stage(a, xs + (buf * kg + j) * Tile::kStage, m0, ch + j, tid, nthreads);
    cp_async_commit();
  };

  float acc[NT][4];
#pragma unroll
  for (int nt = 0; nt < NT; ++nt)
#pragma unroll
    for (int i = 0; i < 4; ++i) acc[nt][i] = 0.f;

  GemvKernelArgs codes_args{};  // load_chunk reads codes_lo / codes_hi only
  codes_args.codes_lo = a.codes_lo;
  codes_args.codes_hi = a.codes_hi;
  const std::size_t base = std::size_t(rt) * std::size_t(a.chunks) * 32 + std::size_t(lane);
  ChunkCodes<HI> cur{};
  if (c0 + kgi < c1) cur = load_chunk<HI>(codes_args, base + std::size_t(c0 + kgi) * 32);
  stage_group(c0, 0);
  for (int ch = c0; ch < c1; ch += kg) {
    const int buf = ((ch - c0) / kg) & 1;
    if (per_tile && (ch - c0) % a.tile_chunks == 0) {
      const std::int64_t tile_row = std::int64_t(rb) * tiles_per_block * 16 / a.tile_rows;
      fill(tile_row * (a.chunks / a.tile_chunks) + ch / a.tile_chunks);
    }
    const int mine = ch + kgi;
    ChunkCodes<HI> nxt = cur;
    if (ch + kg < c1) {
      if (mine + kg < c1) nxt = load_chunk<HI>(codes_args, base + std::size_t(mine + kg) * 32);
      stage_group(ch + kg, buf ^ 1);
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    if (mine < c1) Tile::chunk(cache, cur, xs + (buf * kg + kgi) * Tile::kStage, g, t, acc);
    __syncthreads();
    cur = nxt;
  }

  // k groups: warps kgi > 0 hand their partial sums to warp kgi = 0 of their row tile through
  // shared memory (the x stages are free now: the loop ended with a barrier).
  if (kg > 1) {
    float* red = reinterpret_cast<float*>(smem_raw);  // [warps][NT * 4][32]
    if (kgi > 0) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) red[(warp * NT * 4 + nt * 4 + i) * 32 + lane] = acc[nt][i];
    }
    __syncthreads();
    if (kgi == 0)
      for (int j = 1; j < kg; ++j)
#pragma unroll
        for (int nt = 0; nt < NT; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i)
            acc[nt][i] += red[((warp + j) * NT * 4 + nt * 4 + i) * 32 + lane];
  }

  // acc[nt][i]: row rt*16 + g + 8*(i/2), token m0 + 8*nt + 2*t + (i%2).
  if (kgi == 0) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int row = rt * 16 + g + 8 * (i / 2);
        const int tok = m0 + 8 * nt + 2 * t + (i % 2);
        if (tok >= a.m) continue;
        const std::size_t o = std::size_t(tok) * std::size_t(a.rows) + row;
        if (a.split_k == 1)
          a.y[o] = __float2half_rn(acc[nt][i]);
        else
          a.ws[std::size_t(ks) * std::size_t(a.m) * std::size_t(a.rows) + o] = acc[nt][i];
      }
  }
  if (a.split_k == 1) return;
  // Split-k: the last block to finish a (row block, token tile) adds the slices' partials and
  // writes y, then re-arms its counter (the workspace counters start at zero and end at zero).
  __shared__ int s_last;
  __threadfence();
  __syncthreads();
  if (tid == 0) s_last = atomicAdd(a.counters + rest, 1u) == unsigned(a.split_k - 1);
  __syncthreads();
  if (!s_last) return;
  __threadfence();
  const int rows_pb = tiles_per_block * 16;
  const int r0 = rb * rows_pb;
  const std::size_t plane = std::size_t(a.m) * std::size_t(a.rows);
  for (int i = tid; i < Tile::TM * rows_pb; i += nthreads) {
    const int tok = m0 + i / rows_pb, row = r0 + i % rows_pb;
    if (tok >= a.m) continue;
    const std::size_t o = std::size_t(tok) * std::size_t(a.rows) + row;
    float sum = 0.f;
    for (int k = 0; k < a.split_k; ++k) sum += __ldcg(a.ws + std::size_t(k) * plane + o);
    a.y[o] = __float2half_rn(sum);
  }
  if (tid == 0) a.counters[rest] = 0u;
}

}  // namespace vqt::dev
