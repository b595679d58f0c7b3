// Codebook cache device helpers, shared by the VQ GEMV and the GEMM / attention kernels.
//
// An entry is v fp16 values held as v/2 half2 words (CbEntry<V>). Entries are sorted hottest
// first; per level, [0, n_reg) sit in registers (every thread keeps its own copy: a
// compare/select chain, so only worth it for a handful of very hot entries), [n_reg, n_smem) in
// shared memory, the rest are read from global memory (__ldg through L1, or __ldcg: L2 only).
//
// Shared-memory tier layout: [level][entry][copy][v] with `copies` (a power of two) interleaved
// copies; thread `lane` reads copy lane % copies. With copies * entry_bytes >= 128 (8 copies of a
// 16-byte v=8 entry), the 8 lanes of a quarter-warp that a 16-byte load serves in one wavefront
// always hit distinct bank groups, whatever indices they look up.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace vqt::dev {

template <int V>
struct CbEntry {
  std::uint32_t w[V / 2];
};

template <int V>
__device__ __forceinline__ CbEntry<V> load_entry_global(const __half* p, bool l1_bypass) {
  CbEntry<V> e;
  if constexpr (V == 8) {
    const uint4 u = l1_bypass ? __ldcg(reinterpret_cast<const uint4*>(p))
                              : __ldg(reinterpret_cast<const uint4*>(p));
    e.w[0] = u.x, e.w[1] = u.y, e.w[2] = u.z, e.w[3] = u.w;
  } else if constexpr (V == 4) {
    const uint2 u = l1_bypass ? __ldcg(reinterpret_cast<const uint2*>(p))
                              : __ldg(reinterpret_cast<const uint2*>(p));
    e.w[0] = u.x, e.w[1] = u.y;
  } else {
    static_assert(V == 2, "v must be 2, 4 or 8");
    e.w[0] = l1_bypass ? __ldcg(reinterpret_cast<const unsigned*>(p))
                       : __ldg(reinterpret_cast<const unsigned*>(p));
  }
  return e;
}

template <int V>
__device__ __forceinline__ CbEntry<V> load_entry_shared(const __half* p) {
  CbEntry<V> e;
  if constexpr (V == 8) {
    const uint4 u = *reinterpret_cast<const uint4*>(p);
    e.w[0] = u.x, e.w[1] = u.y, e.w[2] = u.z, e.w[3] = u.w;
  } else if constexpr (V == 4) {
    const uint2 u = *reinterpret_cast<const uint2*>(p);
    e.w[0] = u.x, e.w[1] = u.y;
  } else {
    e.w[0] = *reinterpret_cast<const unsigned*>(p);
  }
  return e;
}

// Shared-memory read at a 32-bit shared-window address (one IMAD computes it per lookup).
template <int V>
__device__ __forceinline__ CbEntry<V> load_entry_shared_addr(unsigned addr) {
  CbEntry<V> e;
  if constexpr (V == 8) {
    asm volatile("ld.shared.v4.u32 {%0,%1,%2,%3}, [%4];"
                 : "=r"(e.w[0]), "=r"(e.w[1]), "=r"(e.w[2]), "=r"(e.w[3])
                 : "r"(addr));
  } else if constexpr (V == 4) {
    asm volatile("ld.shared.v2.u32 {%0,%1}, [%2];" : "=r"(e.w[0]), "=r"(e.w[1]) : "r"(addr));
  } else {
    asm volatile("ld.shared.u32 %0, [%1];" : "=r"(e.w[0]) : "r"(addr));
  }
  return e;
}

template <int V>
__device__ __forceinline__ void store_entry_shared(__half* p, const CbEntry<V>& e) {
  if constexpr (V == 8) {
    *reinterpret_cast<uint4*>(p) = make_uint4(e.w[0], e.w[1], e.w[2], e.w[3]);
  } else if constexpr (V == 4) {
    *reinterpret_cast<uint2*>(p) = make_uint2(e.w[0], e.w[1]);
  } else {
    *reinterpret_cast<unsigned*>(p) = e.w[0];
  }
}

// Element-wise fp16 sum of two entries (residual levels).
template <int V>
__device__ __forceinline__ CbEntry<V> add_entries(const CbEntry<V>& a, const CbEntry<V>& b) {
  CbEntry<V> s;
#pragma unroll
  for (int i = 0; i < V / 2; ++i) {
    __half2 x = *reinterpret_cast<const __half2*>(&a.w[i]);
    __half2 y = *reinterpret_cast<const __half2*>(&b.w[i]);
    __half2 z = __hadd2(x, y);
    s.w[i] = *reinterpret_cast<const std::uint32_t*>(&z);
  }
  return s;
}

// Lattice (quip#-4) codewords: bit j of `signs` (8 bits) flips the sign of element j (v = 8).
// spread = signs * 0x8001 puts bit j at j and at j + 15 (no overlap, so no carries); shifting it
// left by 15 - 2i brings bit 2i to 15 and bit 2i + 1 to 31, the sign bits of half2 word i: one
// IMAD, then a shift and a masked XOR (LOP3) per word.
__device__ __forceinline__ void apply_lattice_signs(CbEntry<8>& e, std::uint32_t signs) {
  const std::uint32_t spread = signs * 0x8001u;
#pragma unroll
  for (int i = 0; i < 4; ++i) e.w[i] ^= (spread << (15 - 2 * i)) & 0x80008000u;
}

// Where the entries of one codebook instance live, as a lookup sees them.
struct CbCacheView {
  const __half* global = nullptr;  // level 0, entry 0 of the instance; level stride stored * v
  const __half* smem = nullptr;    // [level][n_smem][copies][v]
  int stored = 0;                  // entries per level in global memory
  int n_reg = 0;
  int n_smem = 0;
  int copy_shift = 0;  // log2(copies)
  int lane_copy = 0;   // lane % copies
  bool l1_bypass = false;
};

// Fills the shared-memory tier (all levels, all copies) of one instance; call from all threads of
// the block between two __syncthreads().
template <int V, int R>
__device__ __forceinline__ void fill_smem_tier(const CbCacheView& c, __half* smem, int tid,
                                               int nthreads) {
  const int copies = 1 << c.copy_shift;
  for (int i = tid; i < R * c.n_smem; i += nthreads) {
    const int l = i / c.n_smem, e = i - l * c.n_smem;
    const CbEntry<V> v =
        load_entry_global<V>(c.global + (std::size_t(l) * c.stored + e) * V, false);
    __half* dst = smem + (std::size_t(i) << c.copy_shift) * V;
    for (int k = 0; k < copies; ++k) store_entry_shared<V>(dst + k * V, v);
  }
}

__device__ __forceinline__ void cb_cp_async_bytes(void* smem_dst, const void* gmem_src, int bytes) {
  const unsigned dst = unsigned(__cvta_generic_to_shared(smem_dst));
  if (bytes == 16)
    asm volatile("cp.async.ca.shared.global [%0], [%1], 16;" ::"r"(dst), "l"(gmem_src));
  else if (bytes == 8)
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8;" ::"r"(dst), "l"(gmem_src));
  else
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"(dst), "l"(gmem_src));
}
template <int N>
__device__ __forceinline__ void cb_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;" ::"n"(N));
}

// fill_smem_tier with cp.async (no register staging): issues the copies and commits one group;
// the caller waits (cp_async_wait) and synchronises before reading.
template <int V, int R>
__device__ __forceinline__ void fill_smem_tier_async(const CbCacheView& c, __half* smem, int tid,
                                                     int nthreads) {
  const int copies = 1 << c.copy_shift;
  const int total = (R * c.n_smem) << c.copy_shift;
  for (int j = tid; j < total; j += nthreads) {
    const int i = j >> c.copy_shift;
    const int l = i / c.n_smem, e = i - l * c.n_smem;
    cb_cp_async_bytes(smem + std::size_t(j) * V, c.global + (std::size_t(l) * c.stored + e) * V,
                      V * 2);
  }
  (void)copies;
  asm volatile("cp.async.commit_group;");
}

// Tier modes (template parameter of the kernels): 0 global only, 1 smem + global,
// 2 registers + smem + global.
template <int V, int R, int TIER, int NREG>
struct CbCache {
  CbCacheView view;
  CbEntry<V> regs[R][NREG > 0 ? NREG : 1];
  unsigned smem_level_addr[R];  // shared address of (level, entry 0, this lane's copy)
  unsigned smem_entry_stride;   // bytes between entries (copies x entry bytes)

  // Call after view.smem / n_smem / copy_shift / lane_copy change.
  __device__ __forceinline__ void prepare_smem() {
    const unsigned base = unsigned(__cvta_generic_to_shared(view.smem));
    smem_entry_stride = unsigned(V * 2) << view.copy_shift;
#pragma unroll
    for (int l = 0; l < R; ++l)
      smem_level_addr[l] = base + unsigned(l) * unsigned(view.n_smem) * smem_entry_stride +
                           unsigned(view.lane_copy * V * 2);
  }

  __device__ __forceinline__ void load_registers() {
    if constexpr (TIER == 2) {
#pragma unroll
      for (int l = 0; l < R; ++l)
#pragma unroll
        for (int i = 0; i < NREG; ++i)
          if (i < view.n_reg)
            regs[l][i] =
                load_entry_global<V>(view.global + (std::size_t(l) * view.stored + i) * V, false);
    }
  }

  // ALL: the caller knows n_reg == 0 and n_smem == stored (a uniform runtime check outside the
  // loop), so the shared-memory read needs no bounds test.
  template <bool ALL = false>
  __device__ __forceinline__ CbEntry<V> lookup(int level, std::uint32_t e) const {
    if constexpr (ALL && TIER == 1)
      return load_entry_shared_addr<V>(smem_level_addr[level] + e * smem_entry_stride);
    const __half* gp = view.global + (std::size_t(level) * view.stored + e) * V;
    if constexpr (TIER == 0) {
      return load_entry_global<V>(gp, view.l1_bypass);
    } else {
      CbEntry<V> out{};
      if (int(e) < view.n_smem) {
        if (TIER == 1 || int(e) >= view.n_reg)
          out = load_entry_shared_addr<V>(smem_level_addr[level] + e * smem_entry_stride);
      } else {
        out = load_entry_global<V>(gp, view.l1_bypass);
      }
      if constexpr (TIER == 2) {
#pragma unroll
        for (int i = 0; i < NREG; ++i)
          if (int(e) == i && i < view.n_reg) out = regs[level][i];
      }
      return out;
    }
  }
};

}  // namespace vqt::dev
