// The fused VQ GEMV kernel template: y[b][n] = sum_k x[b][k] W[n][k], W decoded from VQ codes
// through the codebook cache (codebook_cache.cuh) straight into m16n8k16 tensor-core A fragments
// (rows of W), x as the B operand (batch padded to 8 or 16), fp32 accumulation.
// Only included by the instance files vq_gemv_v{2,4,8}.cu. Geometry: gemv_geometry.hpp; layout:
// vq_device_layout.hpp; launch parameters: gemv_params.hpp.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/codebook_cache.cuh"
#include "kernels/gemv_geometry.hpp"
#include "kernels/gemv_kernel_args.hpp"

// Register budget of the GEMV instances: at most 512 threads per block (128 registers), or a
// cap for experiments (-DVQT_GEMV_MAXNREG=80).
#ifndef VQT_GEMV_BOUNDS
#if defined(VQT_GEMV_MAXNREG)
#define VQT_GEMV_BOUNDS __maxnreg__(VQT_GEMV_MAXNREG)
#else
#define VQT_GEMV_BOUNDS __launch_bounds__(512)
#endif
#endif

namespace vqt::dev {

// Not volatile: pure loads of read-only data and a pure mma, so the compiler may interleave the
// lookups of one step with the mmas of the previous one (volatile asm keeps program order).
__device__ __forceinline__ uint4 ld_stream_v4(const void* p) {
  uint4 r;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
      : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
      : "l"(p));
  return r;
}
__device__ __forceinline__ uint2 ld_stream_v2(const void* p) {
  uint2 r;
  asm("ld.global.nc.L1::no_allocate.v2.u32 {%0,%1}, [%2];" : "=r"(r.x), "=r"(r.y) : "l"(p));
  return r;
}

__device__ __forceinline__ void mma_16816(float (&c)[4], std::uint32_t a0, std::uint32_t a1,
                                          std::uint32_t a2, std::uint32_t a3, std::uint32_t b0,
                                          std::uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// Codes of one lane for one chunk: 16 low bytes and the high bits.
template <int HI>
struct ChunkCodes {
  uint4 lo;
  std::uint32_t hi[HI == 0 ? 1 : HI / 2];  // HI = 4: 2 words (16 nibbles), 8: 4 words
};

template <int HI>
__device__ __forceinline__ ChunkCodes<HI> load_chunk(const GemvKernelArgs& a,
                                                     std::size_t lane_idx) {
  ChunkCodes<HI> c;
  c.lo = ld_stream_v4(static_cast<const uint4*>(a.codes_lo) + lane_idx);
  if constexpr (HI == 4) {
    const uint2 h = ld_stream_v2(static_cast<const uint2*>(a.codes_hi) + lane_idx);
    c.hi[0] = h.x, c.hi[1] = h.y;
  } else if constexpr (HI == 8) {
    const uint4 h = ld_stream_v4(static_cast<const uint4*>(a.codes_hi) + lane_idx);
    c.hi[0] = h.x, c.hi[1] = h.y, c.hi[2] = h.z, c.hi[3] = h.w;
  } else {
    c.hi[0] = 0;
  }
  return c;
}

// Code q (0..15) of a lane's chunk. PRMT picks byte q % 4 of a word with zero fill.
template <int HI>
__device__ __forceinline__ std::uint32_t code_at(const ChunkCodes<HI>& c, int q) {
  const std::uint32_t lo_words[4] = {c.lo.x, c.lo.y, c.lo.z, c.lo.w};
  if constexpr (HI == 8) {
    // byte 0 from lo, byte 1 from hi, upper bytes masked.
    return __byte_perm(lo_words[q / 4], c.hi[q / 4], (q % 4) | ((4 + q % 4) << 4)) & 0xFFFFu;
  } else {
    std::uint32_t idx = __byte_perm(lo_words[q / 4], 0u, 0x4440u | std::uint32_t(q % 4));
    if constexpr (HI == 4) {
      const int sh = 4 * (q % 8) - 8;  // nibble q % 8 of the word to bits [11:8]
      const std::uint32_t h = sh >= 0 ? c.hi[q / 8] >> sh : c.hi[q / 8] << -sh;
      idx |= h & 0xF00u;
    }
    return idx;
  }
}

// Lattice codes: table row (low byte) and the 8 sign bits (high byte).
template <int HI>
__device__ __forceinline__ std::uint32_t lattice_row(const ChunkCodes<HI>& c, int q) {
  const std::uint32_t lo_words[4] = {c.lo.x, c.lo.y, c.lo.z, c.lo.w};
  return __byte_perm(lo_words[q / 4], 0u, 0x4440u | std::uint32_t(q % 4));
}
template <int HI>
__device__ __forceinline__ std::uint32_t lattice_signs(const ChunkCodes<HI>& c, int q) {
  return __byte_perm(c.hi[HI == 8 ? q / 4 : 0], 0u, 0x4440u | std::uint32_t(q % 4));
}

template <int V, int R, int HI, bool LAT, int TIER>
struct GemvWarp {
  static constexpr GemvGeometry G = gemv_geometry(V, R);
  static constexpr int EP = G.ep;
  static constexpr int CW = G.cw_per_step;
  static constexpr int SPC = G.steps_per_chunk;
  static constexpr int STEP_K = G.step_k;
  static constexpr int CHUNK_K = G.chunk_k;
  static constexpr int MMAS = G.mmas_per_step;
  static constexpr int NREG = TIER == 2 ? kGemvMaxRegEntriesDev : 0;

  // Multiplies the chunks [c0, c1) of row tile `rt` into acc.
  template <bool ALL>
  static __device__ __forceinline__ void run(const GemvKernelArgs& a,
                                             const CbCache<V, R, TIER, NREG>& cache, int rt, int c0,
                                             int c1, int lane, int n_tiles, float (&acc)[2][4]) {
    const int g = lane >> 2, t = lane & 3;
    const std::size_t base = std::size_t(rt) * std::size_t(a.chunks) * 32 + std::size_t(lane);
    if (c0 >= c1) return;
    // Software pipeline: the codes of chunk ch + 1 are in flight while chunk ch is decoded.
    ChunkCodes<HI> cur = load_chunk<HI>(a, base + std::size_t(c0) * 32);
    for (int ch = c0; ch < c1; ++ch) {
      ChunkCodes<HI> nxt = cur;
      if (ch + 1 < c1) nxt = load_chunk<HI>(a, base + std::size_t(ch + 1) * 32);
      chunk<ALL>(a, cache, cur, ch, g, t, n_tiles, acc);
      cur = nxt;
    }
  }

  template <bool ALL>
  static __device__ __forceinline__ void chunk(const GemvKernelArgs& a,
                                               const CbCache<V, R, TIER, NREG>& cache,
                                               const ChunkCodes<HI>& codes, int ch, int g, int t,
                                               int n_tiles, float (&acc)[2][4]) {
#pragma unroll
    for (int s = 0; s < SPC; ++s) {
      const int k0 = ch * CHUNK_K + s * STEP_K + EP * t;
      // B operand: x[batch g (+8)][k0 .. k0 + EP), zero for padded batch columns.
      std::uint32_t xb[2][EP / 2];
#pragma unroll
      for (int nt = 0; nt < 2; ++nt) {
        const int b = g + 8 * nt;
        const bool live = nt < n_tiles && b < a.batch;
        const __half* xp = a.x + std::size_t(b) * std::size_t(a.cols) + k0;
        if constexpr (EP == 8) {
          const uint4 u = live ? __ldg(reinterpret_cast<const uint4*>(xp)) : make_uint4(0, 0, 0, 0);
          xb[nt][0] = u.x, xb[nt][1] = u.y, xb[nt][2] = u.z, xb[nt][3] = u.w;
        } else {
          const uint2 u = live ? __ldg(reinterpret_cast<const uint2*>(xp)) : make_uint2(0, 0);
          xb[nt][0] = u.x, xb[nt][1] = u.y;
        }
      }
      // A operand: decoded W of rows g and g + 8, one set per residual level: the levels are
      // summed by the tensor cores (one more mma per level) instead of HADD2s, which also
      // keeps their sum in fp32.
      std::uint32_t aw[R][2][EP / 2];
#pragma unroll
      for (int rh = 0; rh < 2; ++rh)
#pragma unroll
        for (int cw = 0; cw < CW; ++cw)
#pragma unroll
          for (int l = 0; l < R; ++l) {
            const int q = ((s * 2 + rh) * CW + cw) * R + l;
            CbEntry<V> e;
            if constexpr (LAT) {
              e = cache.template lookup<ALL>(l, lattice_row<HI>(codes, q));
              apply_lattice_signs(e, lattice_signs<HI>(codes, q));
            } else {
              e = cache.template lookup<ALL>(l, code_at<HI>(codes, q));
            }
#pragma unroll
            for (int j = 0; j < V / 2; ++j) aw[l][rh][cw * (V / 2) + j] = e.w[j];
          }
#pragma unroll
      for (int l = 0; l < R; ++l)
#pragma unroll
        for (int m = 0; m < MMAS; ++m)
#pragma unroll
          for (int nt = 0; nt < 2; ++nt)
            if (nt < n_tiles)
              mma_16816(acc[nt], aw[l][0][2 * m], aw[l][1][2 * m], aw[l][0][2 * m + 1],
                        aw[l][1][2 * m + 1], xb[nt][2 * m], xb[nt][2 * m + 1]);
    }
  }
};

template <int V, int R, int HI, bool LAT, int TIER>
__global__ void VQT_GEMV_BOUNDS vq_gemv_kernel(const GemvKernelArgs a) {
  using Warp = GemvWarp<V, R, HI, LAT, TIER>;
  extern __shared__ uint4 smem_raw[];
  __shared__ int s_last;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t = lane & 3;
  const int n_tiles = a.batch > 8 ? 2 : 1;
  const bool per_tile = a.tile_chunks > 0;
  // Every entry in shared memory: lookups skip the tier test (a second copy of the loop).
  const bool all_smem = TIER == 1 && a.n_smem == a.stored;

  CbCache<V, R, TIER, Warp::NREG> cache;
  cache.view.global = a.codebooks;
  cache.view.smem = reinterpret_cast<const __half*>(smem_raw);
  cache.view.stored = a.stored;
  cache.view.n_reg = a.n_reg;
  cache.view.n_smem = a.n_smem;
  cache.view.copy_shift = a.copy_shift;
  cache.view.lane_copy = lane & ((1 << a.copy_shift) - 1);
  cache.view.l1_bypass = a.l1_bypass != 0;
  cache.prepare_smem();
  const std::size_t inst_halves = std::size_t(R) * std::size_t(a.stored) * V;

  auto fill = [&](std::int64_t instance) {
    cache.view.global = a.codebooks + std::size_t(instance) * inst_halves;
    if constexpr (TIER > 0)
      fill_smem_tier<V, R>(cache.view, reinterpret_cast<__half*>(smem_raw), threadIdx.x,
                           blockDim.x);
    cache.load_registers();
  };
  if (!per_tile) {
    fill(0);
    __syncthreads();
  }
  const int rows_per_block = a.warps * 16;
  for (int item = blockIdx.x; item < a.items; item += gridDim.x) {
    const int rtb = item / a.split_k, ks = item - rtb * a.split_k;
    const int rt = rtb * a.warps + warp;
    const bool active = rt < a.row_tiles;
    float acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    if (per_tile) {
      const int ntc = a.chunks / a.tile_chunks;
      const int tc0 = int(std::int64_t(ks) * ntc / a.split_k);
      const int tc1 = int(std::int64_t(ks + 1) * ntc / a.split_k);
      const std::int64_t tile_row = std::int64_t(rtb) * rows_per_block / a.tile_rows;
      // Two shared-memory buffers: the cache of tile column tc + 1 streams in (cp.async) while
      // tile column tc is multiplied; two barriers per tile column.
      __half* smem_h = reinterpret_cast<__half*>(smem_raw);
      const std::size_t buf_halves =
          (std::size_t(R) * std::size_t(a.n_smem) << a.copy_shift) * std::size_t(V);
      if constexpr (TIER > 0) {
        CbCacheView v0 = cache.view;
        v0.global = a.codebooks + std::size_t(tile_row * ntc + tc0) * inst_halves;
        fill_smem_tier_async<V, R>(v0, smem_h, threadIdx.x, blockDim.x);
      }
      for (int tc = tc0; tc < tc1; ++tc) {
        const int buf = (tc - tc0) & 1;
        cache.view.global = a.codebooks + std::size_t(tile_row * ntc + tc) * inst_halves;
        if constexpr (TIER > 0) {
          if (tc + 1 < tc1) {
            CbCacheView vn = cache.view;
            vn.global = a.codebooks + std::size_t(tile_row * ntc + tc + 1) * inst_halves;
            fill_smem_tier_async<V, R>(vn, smem_h + (buf ^ 1) * buf_halves, threadIdx.x,
                                       blockDim.x);
            cb_cp_async_wait<1>();
          } else {
            cb_cp_async_wait<0>();
          }
          __syncthreads();
          cache.view.smem = smem_h + buf * buf_halves;
          cache.prepare_smem();
        }
        cache.load_registers();
        if (active) {
          if (all_smem)
            Warp::template run<true>(a, cache, rt, tc * a.tile_chunks, (tc + 1) * a.tile_chunks,
                                     lane, n_tiles, acc);
          else
            Warp::template run<false>(a, cache, rt, tc * a.tile_chunks, (tc + 1) * a.tile_chunks,
                                      lane, n_tiles, acc);
        }
        if constexpr (TIER > 0) __syncthreads();  // buf is refilled two tile columns later
      }
    } else {
      const int c0 = int(std::int64_t(ks) * a.chunks / a.split_k);
      const int c1 = int(std::int64_t(ks + 1) * a.chunks / a.split_k);
      if (active) {
        if (all_smem)
          Warp::template run<true>(a, cache, rt, c0, c1, lane, n_tiles, acc);
        else
          Warp::template run<false>(a, cache, rt, c0, c1, lane, n_tiles, acc);
      }
    }
    // Epilogue. acc[nt][i]: row rt*16 + g + 8*(i/2), batch 8*nt + 2*t + (i%2).
    if (a.split_k == 1) {
      if (active) {
#pragma unroll
        for (int nt = 0; nt < 2; ++nt)
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const int row = rt * 16 + g + 8 * (i / 2), b = 8 * nt + 2 * t + (i % 2);
            if (b < a.batch && row < a.rows)
              a.y[std::size_t(b) * std::size_t(a.rows) + row] = __float2half_rn(acc[nt][i]);
          }
      }
      continue;
    }
    const int ws_rows = a.row_tiles * 16;
    if (active) {
#pragma unroll
      for (int nt = 0; nt < 2; ++nt)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int row = rt * 16 + g + 8 * (i / 2), b = 8 * nt + 2 * t + (i % 2);
          if (b < a.batch) atomicAdd(a.ws + std::size_t(b) * ws_rows + row, acc[nt][i]);
        }
    }
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) s_last = atomicAdd(a.counters + rtb, 1u) == unsigned(a.split_k - 1);
    __syncthreads();
    if (s_last) {
      __threadfence();
      const int r0 = rtb * rows_per_block;
      for (int i = threadIdx.x; i < a.batch * rows_per_block; i += blockDim.x) {
        const int b = i / rows_per_block, row = r0 + (i - b * rows_per_block);
        if (row >= ws_rows) continue;
        float* p = a.ws + std::size_t(b) * ws_rows + row;
        const float v = __ldcg(p);
        if (row < a.rows) a.y[std::size_t(b) * std::size_t(a.rows) + row] = __float2half_rn(v);
        *p = 0.0f;
      }
      if (threadIdx.x == 0) a.counters[rtb] = 0u;
    }
    __syncthreads();
  }
}

}  // namespace vqt::dev

namespace vqt::dev {

// Dequantize-to-fp16 baseline: one thread per (row tile, chunk, lane) decodes its 16 codes
// (codebook in global memory) and writes W[row][k] (fp16, row-major) to a.y.
template <int V, int R, int HI, bool LAT>
__global__ void __launch_bounds__(256) vq_dequant_kernel(const GemvKernelArgs a) {
  constexpr int SPC = gemv_geometry(V, R).steps_per_chunk;
  constexpr int CW = gemv_geometry(V, R).cw_per_step;
  constexpr int CHUNK_K = gemv_geometry(V, R).chunk_k;
  constexpr int STEP_K = gemv_geometry(V, R).step_k;
  constexpr int EP = gemv_geometry(V, R).ep;
  const std::size_t idx = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t total = std::size_t(a.row_tiles) * std::size_t(a.chunks) * 32;
  if (idx >= total) return;
  const int lane = int(idx % 32);
  const int ch = int((idx / 32) % std::size_t(a.chunks));
  const int rt = int(idx / (32 * std::size_t(a.chunks)));
  const int g = lane >> 2, t = lane & 3;
  const ChunkCodes<HI> codes = load_chunk<HI>(a, idx);
  CbCache<V, R, 0, 0> cache;
  cache.view.stored = a.stored;
  const std::size_t inst_halves = std::size_t(R) * std::size_t(a.stored) * V;
  const int tile_cols = a.tile_chunks * CHUNK_K;
#pragma unroll
  for (int s = 0; s < SPC; ++s)
#pragma unroll
    for (int rh = 0; rh < 2; ++rh)
#pragma unroll
      for (int cw = 0; cw < CW; ++cw) {
        const int row = rt * 16 + g + 8 * rh;
        const int k = ch * CHUNK_K + s * STEP_K + EP * t + cw * V;
        std::int64_t inst = 0;
        if (a.tile_chunks > 0)
          inst = std::int64_t(row / a.tile_rows) * (a.cols / tile_cols) + k / tile_cols;
        cache.view.global = a.codebooks + std::size_t(inst) * inst_halves;
        CbEntry<V> sum;
#pragma unroll
        for (int l = 0; l < R; ++l) {
          const std::uint32_t code = code_at<HI>(codes, ((s * 2 + rh) * CW + cw) * R + l);
          CbEntry<V> e = cache.lookup(l, LAT ? (code & 0xFFu) : code);
          if constexpr (LAT) apply_lattice_signs(e, code >> 8);
          sum = l == 0 ? e : add_entries<V>(sum, e);
        }
        if (row < a.rows)
          store_entry_shared<V>(a.y + std::size_t(row) * std::size_t(a.cols) + k, sum);
      }
}

}  // namespace vqt::dev
