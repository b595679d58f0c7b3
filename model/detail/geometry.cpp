#include "model/detail/geometry.hpp"

#include <algorithm>

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
  g.resident_codebooks_shared = 0;
  g.fills_per_block = 1;
  g.lookups = 0;
  g.fma_ops = 0;
  g.tensor_flops = 0;
  g.extra_cuda_ops = 0;
  g.stage_smem_traffic = 0;
  g.stage_smem_bytes = 0;
  g.base_regs = 0;
  g.extra_l2_bytes = 0;
  g.extra_hbm_bytes = 0;
  g.reduction_outputs = 0;
  g.splits = 1;
  g.kernels = 1;
  g.persistent = false;
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
      g.persistent = true;
      g.codebooks_per_block = p.levels;
      g.codebooks_per_thread = p.levels;
      g.resident_codebooks_shared = per_tile ? 0 : 1;
      // per_tile: a k slice spans ceil(tile columns / split_k) tiles, each refilled.
      g.fills_per_block = per_tile ? double(div_up(max_split, c.split_k)) : 1;
      g.lookups = p.lookups;
      g.fma_ops = 0;
      // mma: 16 rows x (batch padded to 8 or 16) x k per row tile.
      g.tensor_flops = 2.0 * double(row_tiles * 16) * double(m <= 8 ? 8 : 16) * double(k);
      g.stage_smem_bytes = 0;
      g.base_regs = gemv_kernel_regs(v, p.levels, vq.index_bits, vq.lattice_entries > 0,
                                     c.n_reg > 0    ? 2
                                     : c.n_smem > 0 ? 1
                                                    : 0);
      g.extra_l2_bytes = double(div_up(row_tiles, warps) - 1) * double(m * k * 2);
      g.splits = c.split_k;
      g.reduction_outputs = double(m * n);
      break;
    }
    case Op::gemm: {
      if (k % c.split_k != 0 || (k / c.split_k) % c.tile_k != 0)
        return "split_k x tile_k must divide k";
      if (c.tile_k % v != 0) return "tile_k must be a multiple of the vector size";
      if (c.tile_m % 16 != 0 || c.tile_n % 16 != 0 || c.tile_k % 16 != 0)
        return "gemm tiles must be multiples of 16 (tensor-core fragments)";
      if (p.levels % c.cb_split != 0) return "cb_split must divide the residual levels";
      if (vq.scope == Scope::per_tile &&
          (vq.tile_cols % c.tile_k != 0 || vq.tile_rows % c.tile_n != 0 ||
           (k / c.split_k) % vq.tile_cols != 0))
        return "tiles must nest inside the codebook tiles";
      if (c.fusion == Fusion::unfused && (c.split_k != 1 || c.cb_split != 1))
        return "unfused runs the dequantize kernel without splits";
      const int lv = p.levels / c.cb_split;
      const std::int64_t m_tiles = div_up(m, c.tile_m);
      const std::int64_t n_tiles = div_up(n, c.tile_n);
      g.codebooks_per_block = lv;
      g.codebooks_per_thread = lv;
      g.resident_codebooks_shared = vq.scope == Scope::per_tensor ? 1 : 0;
      g.fills_per_block = vq.scope == Scope::per_tile ? double(k / c.split_k / vq.tile_cols) : 1;
      if (c.fusion == Fusion::unfused) {
        // Dequantize kernel: tile_n rows per block, lookups once, writes the fp16 weights.
        g.blocks = n_tiles;
        g.lookups = p.lookups;
        g.base_regs = 32;
        g.stage_smem_bytes = 0;
        g.extra_hbm_bytes = double(n) * double(k) * 2.0;
        g.kernels = 2;
        break;
      }
      g.blocks = m_tiles * n_tiles * c.split_k * c.cb_split;
      g.lookups = p.lookups * double(m_tiles);
      g.tensor_flops = p.tensor_flops;
      g.stage_smem_bytes = c.tile_m * c.tile_k * 2 * 2;  // activation tile, double-buffered
      const double k_total = double(k) * double(m_tiles) * double(n_tiles);
      // mma operands read from shared memory: activation and weight tiles.
      g.stage_smem_traffic = k_total * double(c.tile_m + c.tile_n) * 2.0;
      if (c.fusion == Fusion::smem) {
        g.stage_smem_bytes += c.tile_n * c.tile_k * 2 * 2;
        g.stage_smem_traffic += k_total * double(c.tile_n) * 2.0;  // dequantized tile written
      } else {
        g.extra_cuda_ops = double(n) * double(k) * double(m_tiles) / 2.0;  // half2 shuffles
        g.stage_smem_traffic -= k_total * double(c.tile_n) * 2.0;  // weights stay in registers
      }
      g.base_regs = 64 + c.tile_m * c.tile_n / c.threads;
      g.extra_l2_bytes =
          p.codes_bytes * double(m_tiles - 1) + double(n_tiles - 1) * double(m) * double(k) * 2.0;
      g.splits = c.split_k * c.cb_split;
      g.reduction_outputs = double(m) * double(n);
      break;
    }
    case Op::attention_decode:
    case Op::offload_decode:
    case Op::offload_prefill: {
      if (pr.op != Op::attention_decode) return "offload ops are modelled by the offload issue";
      if (c.fusion != Fusion::shuffle) return "attention_decode supports fusion=shuffle only";
      if (c.tile_m != 1 || c.tile_k != pr.head_dim)
        return "attention_decode uses tile_m = 1 and tile_k = head_dim";
      if (c.split_k > pr.context) return "split_k exceeds the context";
      if (p.codebook_groups % c.cb_split != 0)
        return "cb_split must divide the channel groups of a head";
      const int groups = p.codebook_groups / c.cb_split;
      g.blocks = pr.batch * pr.kv_heads * c.split_k * c.cb_split;
      g.codebooks_per_block = 2 * groups * p.levels;  // K and V
      g.codebooks_per_thread = 2 * p.levels * int(div_up(groups, 32));
      g.resident_codebooks_shared = 0;
      g.lookups = p.lookups;
      g.fma_ops = p.fma_ops;
      g.stage_smem_bytes = int(pr.q_heads / pr.kv_heads * pr.head_dim * 4);  // queries, fp32
      g.base_regs = 48;
      g.splits = c.split_k;
      g.reduction_outputs = double(pr.batch * pr.q_heads) * double(pr.head_dim + 2);
      if (c.cb_split > 1) {
        // Partial scores of every token summed across the channel-group blocks before softmax.
        g.reduction_outputs += double(pr.batch * pr.q_heads) * double(pr.context);
        g.splits = std::max(g.splits, 1) * c.cb_split;
      }
      break;
    }
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
