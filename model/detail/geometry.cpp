#include "model/detail/geometry.hpp"

#include <algorithm>

#include "model/detail/attention_model.hpp"
#include "model/detail/gemm_model.hpp"
#include "model/detail/gemv_model.hpp"
#include "model/terms.hpp"

namespace vqt::detail {

namespace {
inline std::int64_t div_up(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}
inline bool pow2(std::int64_t x) {
  return x > 0 && (x & (x - 1)) == 0;
}
}  // namespace

const char* geometry(const PreparedProblem& p, const Candidate& c, Geometry& g) {
  const Problem& pr = p.problem;
  const VqConfig& vq = pr.vq;
  const int v = p.vec_size;
  g.blocks = 0;
  g.codebooks_per_block = 0;
  g.codebooks_per_thread = 0;
  g.lookups = 0;
  g.tensor_flops = 0;
  g.stage_smem_bytes = 0;
  g.base_regs = 0;
  g.extra_l2_bytes = 0;
  g.smem_bytes = 0;
  g.regs = 0;
  if (c.threads < 32 || c.threads % 32 != 0) return "threads must be a positive multiple of 32";
  if (c.threads > p.spec.max_threads_per_block) return "threads exceed the per-block maximum";
  if (c.n_reg < 0 || c.n_smem < c.n_reg) return "placement needs 0 <= n_reg <= n_smem";
  if (c.n_smem > p.entries) return "n_smem exceeds the stored codebook entries";
  if (!pow2(c.smem_copies)) return "smem_copies must be a power of two";
  if (c.smem_copies > 1 && c.n_smem == c.n_reg)
    return "smem_copies > 1 without a shared-memory tier";
  if (c.split_k < 1 || c.cb_split < 1) return "split_k and cb_split must be >= 1";
  if ((c.cb_split > 1) != (c.dataflow == Dataflow::codebook_centric))
    return "dataflow codebook_centric goes with cb_split > 1 and token_split with cb_split = 1";
  if (c.tile_m < 1 || c.tile_n < 1 || c.tile_k < 1) return "tile sizes must be positive";

  const int m = p.m32, n = p.n32, k = p.k32;  // 32-bit: cheaper divisions
  switch (pr.op) {
    case Op::gemv: {
      // The fused GEMV kernel (kernels/vq_gemv.hpp, docs/kernels.md): a warp owns 16 rows, a
      // block `warps` of them; a work item is (block of row tiles, k slice of whole chunks); the
      // persistent grid runs min(items, resident slots) blocks; x is the mma B operand read
      // from global (L2) per row-tile block, partial sums of k slices meet in an fp32 workspace.
      if (c.fusion != Fusion::shuffle) return "gemv supports fusion=shuffle only";
      if (c.tile_m != m) return "gemv tile_m must equal the batch";
      if (m > 16) return "gemv batch above 16 (use gemm)";
      if (c.cb_split != 1) return "gemv splits k with split_k (cb_split = 1)";
      if (c.n_reg > kGemvRegEntries) return "gemv register tier holds at most 4 entries";
      const int warps = c.threads / 32;
      if (c.tile_n != 16 * warps) return "gemv tile_n must be 16 x threads / 32";
      const int chunk_k = gemv_chunk_k(v, p.levels);
      if (k % chunk_k != 0) return "k must be a multiple of the gemv k chunk";
      const bool per_tile = vq.scope == Scope::per_tile;
      const int max_split = per_tile ? k / int(vq.tile_cols) : k / chunk_k;
      if (c.split_k > max_split) return "split_k exceeds the k chunks (tile columns)";
      if (per_tile && (int(vq.tile_rows) % c.tile_n != 0 || int(vq.tile_cols) % chunk_k != 0))
        return "tiles must nest inside the codebook tiles";
      const std::int64_t row_tiles = div_up(n, 16);
      g.blocks = div_up(row_tiles, warps) * c.split_k;
      g.codebooks_per_block = p.levels;
      g.codebooks_per_thread = p.levels;
      g.lookups = p.lookups;
      // mma: 16 rows x (batch padded to 8 or 16) x k per row tile.
      g.tensor_flops = 2.0 * double(row_tiles * 16) * double(m <= 8 ? 8 : 16) * double(k);
      g.stage_smem_bytes = 0;
      g.base_regs = gemv_kernel_regs(v, p.levels, vq.index_bits, vq.lattice_entries > 0,
                                     c.n_reg > 0    ? 2
                                     : c.n_smem > 0 ? 1
                                                    : 0);
      g.extra_l2_bytes = double(div_up(row_tiles, warps) - 1) * double(m * k * 2);
      break;
    }
    case Op::gemm: {
      // The VQ GEMM (kernels/gemm_vq.hpp, gemm_vq_kernel.cuh, gemm_params.cpp). fused_regs
      // (fusion shuffle or smem): a warp decodes 16 rows of W into mma A fragments, a block holds
      // tile_n / 16 row tiles and threads / 32 warps, so k_groups = 16 x warps / tile_n warps
      // share a row tile; tile_m tokens of x are staged in shared memory (two stages of k_groups
      // chunks); the codebook sits whole in shared memory (n_smem = entries) or is read through
      // L1 (n_smem = 0). unfused: the dequantize kernel (one thread per lane and chunk, 256
      // threads) then cuBLAS. tile_k is not a kernel parameter: any value is accepted.
      if (c.cb_split != 1) return "the gemm has no codebook-centric split (cb_split = 1)";
      const int chunk_k = gemv_chunk_k(v, p.levels);
      if (k % chunk_k != 0) return "k must be a multiple of the gemm k chunk";
      const std::int64_t row_tiles = div_up(n, 16);
      const std::int64_t chunks = k / chunk_k;
      if (c.fusion == Fusion::unfused) {
        if (c.split_k != 1) return "unfused runs the dequantize kernel without splits";
        g.blocks = div_up(row_tiles * chunks * 32, 256);
        g.lookups = p.lookups;
        g.base_regs = gemm_dequant_regs(v, p.levels);
        break;
      }
      const int hi = vq.index_bits - 8;
      const bool lattice = vq.lattice_entries > 0;
      const bool smem = c.n_smem > 0;
      if (!gemm_fused_instance(v, p.levels, hi, lattice, smem))
        return "no fused gemm instance for this format and codebook placement";
      if (c.n_reg != 0) return "the fused gemm has no register tier";
      if (smem && c.n_smem != p.entries) return "the fused gemm holds all entries or none";
      const int warps = c.threads / 32;
      if (warps != 4 && warps != 8) return "the fused gemm runs 4 or 8 warps";
      if (c.tile_m != 32 && c.tile_m != 64) return "the fused gemm tile_m is 32 or 64";
      if (c.tile_n % 16 != 0 || (16 * warps) % c.tile_n != 0)
        return "gemm tile_n must be 16 x warps / k_groups";
      const int kg = 16 * warps / c.tile_n;
      if (kg != 1 && kg != 2 && kg != 4) return "k_groups (16 x warps / tile_n) must be 1, 2 or 4";
      const int tpb = warps / kg;
      if (n % (16 * tpb) != 0) return "n must be a multiple of tile_n";
      const bool per_tile = vq.scope == Scope::per_tile;
      if (per_tile) {
        if (int(vq.tile_cols) % chunk_k != 0) return "codebook tile columns must be whole chunks";
        if (int(vq.tile_rows) % (16 * tpb) != 0) return "tile_n must divide the codebook tile rows";
        if ((int(vq.tile_cols) / chunk_k) % kg != 0)
          return "k_groups must divide the chunks of a codebook tile column";
        if (c.split_k > k / int(vq.tile_cols)) return "split_k exceeds the codebook tile columns";
      } else if (c.split_k > chunks) {
        return "split_k exceeds the k chunks";
      }
      const std::int64_t m_tiles = div_up(m, c.tile_m);
      g.blocks = (n / (16 * tpb)) * m_tiles * c.split_k;
      g.codebooks_per_block = p.levels;
      g.codebooks_per_thread = p.levels;
      g.lookups = p.lookups * double(m_tiles);
      g.tensor_flops = 2.0 * double(m_tiles * c.tile_m) * double(n) * double(k);
      const int ep = v < 4 ? 4 : v;
      g.stage_smem_bytes = 2 * kg * c.tile_m * (chunk_k + 4 * ep) * 2;
      g.base_regs = gemm_fused_regs(v, p.levels, hi, lattice, smem, c.tile_m / 8);
      g.extra_l2_bytes = p.codes_bytes * double(m_tiles - 1) +
                         double(n / (16 * tpb) - 1) * double(m) * double(k) * 2.0;
      g.smem_bytes = g.stage_smem_bytes +
                     (smem ? std::int64_t(p.levels) * p.entries * p.row_bytes * c.smem_copies : 0);
      break;
    }
    case Op::attention_decode:
    case Op::offload_decode:
    case Op::offload_prefill: {
      if (pr.op != Op::attention_decode) return "offload ops are modelled by the offload issue";
      // The CQ decode-attention kernel (kernels/attention_cq.cu, token_split): one block per
      // (query head, context split, sequence) of tile_n tokens, threads 256 or 512; shared
      // memory holds the query x centroid table (fp32), the V codebook, the query and the
      // warps' partials.
      if (c.fusion != Fusion::shuffle) return "attention_decode supports fusion=shuffle only";
      if (c.tile_m != 1 || c.tile_k != pr.head_dim)
        return "attention_decode uses tile_m = 1 and tile_k = head_dim";
      if (pr.head_dim != 128 || vq.index_bits != 8 || vq.residuals != 1 || (v != 2 && v != 4) ||
          vq.scope != Scope::per_head_group)
        return "the CQ attention kernel reads cq-4 / cq-2 caches (VQ<2|4,8,1>, head_dim 128)";
      if (c.dataflow != Dataflow::token_split || c.cb_split != 1)
        return "the CQ attention kernel implements token_split only";
      if (c.threads != 256 && c.threads != 512) return "attention threads must be 256 or 512";
      if (c.tile_n < 16 || c.tile_n % 16 != 0) return "tokens per split must be a multiple of 16";
      if (std::int64_t(c.split_k) != div_up(pr.context, c.tile_n))
        return "split_k must be ceil(context / tokens per split)";
      if (c.n_reg != 0 || c.n_smem != p.entries) return "CQ codebooks sit whole in shared memory";
      const int groups = int(pr.head_dim) / v;
      const int warps = c.threads / 32;
      g.blocks = pr.batch * pr.q_heads * c.split_k;
      g.codebooks_per_block = 2 * groups;
      g.codebooks_per_thread = 2 * int(div_up(groups, 32));
      g.lookups = p.lookups;
      g.stage_smem_bytes = 0;
      g.base_regs = attention_cq_regs(v, warps);
      g.smem_bytes = std::int64_t(256) * groups * 4 + std::int64_t(256) * groups * v * 2 +
                     pr.head_dim * 4 + std::int64_t(warps) * (pr.head_dim + 2) * 4;
      break;
    }
  }
  if (pr.op != Op::gemv) {
    g.regs = g.base_regs;
    if (g.smem_bytes > p.spec.max_smem_per_block_bytes)
      return "shared memory per block exceeds the opt-in maximum";
    return nullptr;
  }
  const std::int64_t smem_part = std::int64_t(c.n_smem - c.n_reg) * p.row_bytes;
  g.smem_bytes = smem_part * g.codebooks_per_block * c.smem_copies + g.stage_smem_bytes;
  if (pr.op == Op::gemv && c.n_smem > 0) {
    // The kernel stores the table from entry 0 (the register tier's entries too) and
    // double-buffers per_tile codebooks (the next tile column streams in).
    const int buffers = vq.scope == Scope::per_tile ? 2 : 1;
    g.smem_bytes =
        std::int64_t(c.n_smem) * p.row_bytes * g.codebooks_per_block * c.smem_copies * buffers;
  }
  g.regs = pr.op == Op::gemv ? g.base_regs
                             : regs_per_thread(g.base_regs, c.n_reg, v, g.codebooks_per_thread);
  if (g.smem_bytes > p.spec.max_smem_per_block_bytes)
    return "shared memory per block exceeds the opt-in maximum";
  if (g.regs > p.spec.max_regs_per_thread) return "registers per thread exceed the maximum";
  return nullptr;
}

}  // namespace vqt::detail
