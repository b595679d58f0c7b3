// Host side of the VQ GEMM parameters: what the fused and unfused kernels accept, workspace and
// shared-memory sizes, defaults. No CUDA.
#include "kernels/gemm_params.hpp"

#include <algorithm>

#include "kernels/gemv_geometry.hpp"

namespace vqt {

const char* to_string(GemmStrategy s) {
  switch (s) {
    case GemmStrategy::fused_regs:
      return "fused_regs";
    case GemmStrategy::unfused:
      return "unfused";
  }
  return "?";
}

std::string GemmParams::key() const {
  return std::string("gemm:") + to_string(strategy) + ",w" + std::to_string(warps) + ",m" +
         std::to_string(tile_m) + ",kg" + std::to_string(k_groups) + ",sk" +
         std::to_string(split_k) + ",smem" + (codebook_smem ? "1" : "0") + ",c" +
         std::to_string(smem_copies);
}

namespace {

// The fused instances (gemm_vq_v4.cu, gemm_vq_v8.cu): the weight presets, each with the codebook
// placement it needs.
bool fused_instance_exists(const GemvFormat& f, bool smem) {
  const int hi = f.hi_bits();
  if (f.lattice_entries > 0) return f.vec_size == 8 && f.residuals == 2 && hi == 8 && smem;
  if (f.vec_size == 8 && f.residuals == 2 && hi == 4) return true;   // aqlm-3
  if (f.vec_size == 8 && f.residuals == 2 && hi == 0) return smem;   // aqlm-2x8
  if (f.vec_size == 8 && f.residuals == 1 && hi == 8) return !smem;  // aqlm-1x16
  if (f.vec_size == 4 && f.residuals == 1 && hi == 0) return smem;   // gptvq-2
  return false;
}

std::size_t x_stage_bytes(const GemvFormat& f, int tile_m) {
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  // Rows padded by one step of the permuted k (see gemm_vq_kernel.cuh): conflict-free B loads.
  return std::size_t(tile_m) * std::size_t(g.chunk_k + 4 * g.ep) * 2;
}

}  // namespace

std::size_t gemm_smem_bytes(const GemvFormat& f, const GemmParams& p) {
  const std::size_t cb = p.codebook_smem
                             ? std::size_t(f.residuals) * f.stored_entries() *
                                   std::size_t(f.vec_size) * 2 * std::size_t(p.smem_copies)
                             : 0;
  return 2 * std::size_t(std::max(1, p.k_groups)) * x_stage_bytes(f, p.tile_m) + cb;
}

std::string can_implement_gemm(const GemvFormat& f, std::int64_t m, const GemmParams& p,
                               const GemvDevice& d) {
  if (m < 1 || m > (std::int64_t(1) << 30)) return "m must be 1..2^30 tokens";
  if (f.rows < 1 || f.cols < 1) return "empty weight matrix";
  if (f.vec_size != 2 && f.vec_size != 4 && f.vec_size != 8) return "vec_size must be 2, 4 or 8";
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  if (f.cols % g.chunk_k != 0)
    return "cols must be a multiple of " + std::to_string(g.chunk_k) + " (one code chunk)";
  if (p.strategy == GemmStrategy::unfused) return "";
  if (d.cc_major < 8) return "the fused GEMM needs sm_80 or newer (mma.sync m16n8k16)";
  if (!fused_instance_exists(f, p.codebook_smem))
    return std::string(
               "no fused GEMM instance for this (v, r, index bits, lattice) with the "
               "codebook in ") +
           (p.codebook_smem ? "shared" : "global") + " memory; use unfused";
  if (p.warps != 4 && p.warps != 8) return "warps must be 4 or 8";
  if (p.tile_m != 32 && p.tile_m != 64) return "tile_m must be 32 or 64";
  if (p.k_groups != 1 && p.k_groups != 2 && p.k_groups != 4) return "k_groups must be 1, 2 or 4";
  if (p.warps % p.k_groups != 0) return "warps must be a multiple of k_groups";
  if (p.smem_copies != 1 && p.smem_copies != 2 && p.smem_copies != 4 && p.smem_copies != 8)
    return "smem_copies must be 1, 2, 4 or 8";
  const int tiles_per_block = p.warps / p.k_groups;
  if (f.rows % (16 * tiles_per_block) != 0)
    return "the fused GEMM needs rows a multiple of 16 x warps / k_groups";
  const std::int64_t chunks = f.cols / g.chunk_k;
  if (f.tile_rows > 0) {
    if (f.tile_cols % g.chunk_k != 0) return "codebook tile columns must be whole chunks";
    if (f.tile_rows % (16 * tiles_per_block) != 0)
      return "codebook tile rows must be a multiple of 16 x warps / k_groups";
    if ((f.tile_cols / g.chunk_k) % p.k_groups != 0)
      return "k_groups must divide the chunks of a codebook tile column";
    const std::int64_t tcols = f.cols / f.tile_cols;
    if (p.split_k < 1 || p.split_k > tcols) return "split_k must be 1..codebook tile columns";
  } else if (p.split_k < 1 || p.split_k > chunks) {
    return "split_k must be 1..cols / chunk_k";
  }
  if (gemm_smem_bytes(f, p) > d.smem_per_block_optin_bytes) return "shared memory over the limit";
  return "";
}

std::size_t gemm_counters_offset(const GemvFormat& f, std::int64_t m, const GemmParams& p) {
  return std::size_t(std::max(1, p.split_k)) * std::size_t(m) * std::size_t(f.rows) * 4;
}

std::size_t gemm_workspace_bytes(const GemvFormat& f, std::int64_t m, const GemmParams& p) {
  if (p.strategy == GemmStrategy::unfused) return std::size_t(f.rows * f.cols) * 2;
  if (p.split_k <= 1) return 0;
  const int tiles_per_block = p.warps / std::max(1, p.k_groups);
  const std::int64_t counters = (f.rows / (16 * tiles_per_block)) * ((m + p.tile_m - 1) / p.tile_m);
  return gemm_counters_offset(f, m, p) + std::size_t(counters) * 4;
}

GemmParams default_gemm_params(const GemvFormat& f, std::int64_t m, int sm_count) {
  GemmParams p;
  if (m > 256) {
    p.strategy = GemmStrategy::unfused;
    return p;
  }
  // Small m is latency-bound (few warps, a barrier per chunk): 8 warps, one row tile each, and
  // split_k for about two blocks per SM, at most 4: on the H100 (bench/results/gemm-h100-*.md)
  // more slices lose, the last block of a tile adds them serially.
  p.tile_m = m <= 32 ? 32 : 64;
  p.warps = 8;
  p.k_groups = 1;
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  p.codebook_smem = fused_instance_exists(f, true);
  while (p.k_groups > 1 && gemm_smem_bytes(f, p) > GemvDevice{}.smem_per_block_optin_bytes)
    p.k_groups /= 2;
  const std::int64_t blocks =
      (f.rows / (16 * (p.warps / p.k_groups))) * ((m + p.tile_m - 1) / p.tile_m);
  const std::int64_t max_split = f.tile_rows > 0 ? f.cols / f.tile_cols : f.cols / g.chunk_k;
  const std::int64_t split =
      std::max<std::int64_t>(1, (2 * sm_count + blocks - 1) / std::max<std::int64_t>(1, blocks));
  p.split_k = int(std::min({split, max_split, std::int64_t{4}}));
  return p;
}

}  // namespace vqt
