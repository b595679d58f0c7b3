// Host side of the fused VQ GEMV: can_implement, instance selection, persistent grid, launch.
#include "kernels/vq_gemv.hpp"

#include <map>
#include <mutex>
#include <tuple>

#include "kernels/cuda_check.hpp"
#include "kernels/gemv_geometry.hpp"
#include "kernels/gemv_kernel_args.hpp"
#include "kernels/vq_device_layout.hpp"

namespace vqt {

static_assert(kGemvMaxRegEntries == kGemvMaxRegEntriesDev, "register tier bounds disagree");

namespace {

// Static shared memory of the kernels (the split-k flag) is kept out of the dynamic budget.
constexpr std::size_t kStaticSmemReserveBytes = 128;

bool is_pow2(int x) {
  return x > 0 && (x & (x - 1)) == 0;
}

int log2i(int x) {
  int s = 0;
  while ((1 << s) < x) ++s;
  return s;
}

GemvKernelFn find_kernel(const GemvFormat& f, int tier) {
  const bool lat = f.lattice_entries > 0;
  switch (f.vec_size) {
    case 2:
      return find_gemv_kernel_v2(f.residuals, f.hi_bits(), lat, tier);
    case 4:
      return find_gemv_kernel_v4(f.residuals, f.hi_bits(), lat, tier);
    case 8:
      return find_gemv_kernel_v8(f.residuals, f.hi_bits(), lat, tier);
    default:
      return nullptr;
  }
}

// Blocks of `fn` per SM at (threads, smem), cached; also raises the dynamic smem limit once.
int blocks_per_sm(GemvKernelFn fn, int threads, std::size_t smem, std::size_t smem_optin) {
  static std::mutex mu;
  static std::map<std::tuple<const void*, int, std::size_t>, int> cache;
  std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_tuple(reinterpret_cast<const void*>(fn), threads, smem);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  (void)smem_optin;
  // A refused query is an answer (0 blocks), not an error: clear it so that it does not surface
  // as the cudaGetLastError() of a later, unrelated launch.
  if (smem > 48 * 1024 &&
      cudaFuncSetAttribute(reinterpret_cast<const void*>(fn),
                           cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  int n = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, fn, threads, smem) != cudaSuccess) {
    (void)cudaGetLastError();
    n = 0;
  }
  cache[key] = n;
  return n;
}

}  // namespace

std::size_t gemv_smem_bytes(const GemvFormat& f, const GemvParams& p) {
  if (tier_of(p) == CodebookTier::global_only) return 0;
  // per_tile codebooks are double-buffered (the next tile column streams in).
  const std::size_t buffers = f.tile_rows > 0 ? 2 : 1;
  return buffers * std::size_t(f.residuals) * std::size_t(p.n_smem) * std::size_t(p.smem_copies) *
         std::size_t(f.vec_size) * 2;
}

std::string can_implement(const GemvFormat& f, int batch, const GemvParams& p,
                          const GemvDevice& d) {
  if (d.cc_major != 9 || d.cc_minor != 0)
    return "built for sm_90a only: needs compute capability 9.0, device has " +
           std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor);
  if (f.vec_size != 2 && f.vec_size != 4 && f.vec_size != 8)
    return "vector size v=" + std::to_string(f.vec_size) + " is not 2, 4 or 8";
  if (f.index_bits < 8 || f.index_bits > 16)
    return "index bits b=" + std::to_string(f.index_bits) + " outside 8..16";
  if (f.residuals < 1 || f.residuals > 2)
    return "residual levels r=" + std::to_string(f.residuals) + " is not 1 or 2";
  if (f.lattice_entries != 0 &&
      (f.lattice_entries != 256 || f.vec_size != 8 || f.index_bits != 16 || f.residuals != 2))
    return "lattice tables are instantiated for quip#-4 only (256 rows, v=8, b=16, r=2)";
  if (batch < 1 || batch > kGemvMaxBatch)
    return "batch " + std::to_string(batch) + " outside 1.." + std::to_string(kGemvMaxBatch);
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  if (f.rows <= 0 || f.rows > (std::int64_t(1) << 30))
    return "rows=" + std::to_string(f.rows) + " outside 1..2^30";
  if (f.cols <= 0 || f.cols % g.chunk_k != 0 || f.cols > (std::int64_t(1) << 30))
    return "cols=" + std::to_string(f.cols) + " is not a positive multiple of " +
           std::to_string(g.chunk_k) + " (the k chunk of v=" + std::to_string(f.vec_size) +
           ", r=" + std::to_string(f.residuals) + ")";
  if (p.warps < 1 || p.warps > 16) return "warps=" + std::to_string(p.warps) + " outside 1..16";
  const std::int64_t chunks = f.cols / g.chunk_k;
  if (p.split_k < 1 || p.split_k > chunks)
    return "split_k=" + std::to_string(p.split_k) + " outside 1.." + std::to_string(chunks);
  if (p.blocks_per_sm < 0) return "blocks_per_sm must be >= 0";
  if (f.tile_rows > 0 || f.tile_cols > 0) {
    if (f.tile_rows <= 0 || f.tile_cols <= 0) return "per_tile needs both tile sizes";
    if (f.tile_cols % g.chunk_k != 0)
      return "tile width " + std::to_string(f.tile_cols) + " is not a multiple of the k chunk " +
             std::to_string(g.chunk_k);
    if (f.cols % f.tile_cols != 0 || f.rows % f.tile_rows != 0)
      return "the matrix is not a whole number of " + std::to_string(f.tile_rows) + "x" +
             std::to_string(f.tile_cols) + " codebook tiles";
    if (f.tile_rows % (16 * p.warps) != 0)
      return "tile height " + std::to_string(f.tile_rows) + " is not a multiple of the block's " +
             std::to_string(16 * p.warps) + " rows (16 x warps)";
    if (p.split_k > f.cols / f.tile_cols)
      return "split_k=" + std::to_string(p.split_k) + " exceeds the " +
             std::to_string(f.cols / f.tile_cols) +
             " codebook tile columns (splits are whole tiles)";
  }
  const int stored = f.stored_entries();
  if (p.n_smem < 0 || p.n_smem > stored)
    return "n_smem=" + std::to_string(p.n_smem) + " outside 0.." + std::to_string(stored);
  if (p.n_reg < 0 || p.n_reg > kGemvMaxRegEntries || p.n_reg > p.n_smem)
    return "n_reg=" + std::to_string(p.n_reg) + " must be in 0.." +
           std::to_string(kGemvMaxRegEntries) + " and <= n_smem";
  if (!is_pow2(p.smem_copies) || p.smem_copies > 32)
    return "smem_copies=" + std::to_string(p.smem_copies) + " is not a power of two <= 32";
  const std::size_t smem = gemv_smem_bytes(f, p);
  if (smem + kStaticSmemReserveBytes > d.smem_per_block_optin_bytes)
    return "codebook cache needs " + std::to_string(smem) + " B of shared memory, the block may " +
           "have " + std::to_string(d.smem_per_block_optin_bytes);
  if (!find_kernel(f, int(tier_of(p)))) return "no kernel instance for this format";
  return {};
}

GemvDevice gemv_device(int device) {
  static std::mutex mu;
  static std::map<int, GemvDevice> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(device); it != cache.end()) return it->second;
  cudaDeviceProp prop{};
  VQT_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  GemvDevice d;
  d.cc_major = prop.major;
  d.cc_minor = prop.minor;
  d.sm_count = prop.multiProcessorCount;
  d.smem_per_block_optin_bytes = prop.sharedMemPerBlockOptin;
  cache[device] = d;
  return d;
}

namespace {

struct Launch {
  GemvKernelFn fn = nullptr;
  GemvKernelArgs k{};
  int grid = 0, threads = 0;
  int resident_blocks = 0;  // blocks the device holds at once (occupancy x SMs)
  std::size_t smem = 0;
};

cudaError_t plan(const VqGemvArgs& a, const GemvParams& p, Launch& out) {
  int dev = 0;
  VQT_CUDA_RETURN(cudaGetDevice(&dev));
  GemvDevice d;
  try {
    d = gemv_device(dev);
  } catch (const Error&) {
    return cudaErrorNoDevice;
  }
  const GemvFormat& f = a.format;
  if (!can_implement(f, a.batch, p, d).empty()) return cudaErrorInvalidValue;
  if (p.split_k > 1 && (!a.workspace || a.workspace_bytes < gemv_workspace_bytes(f)))
    return cudaErrorInvalidValue;
  if (!a.codes_lo || !a.codebooks || !a.x || !a.y || (f.hi_bits() > 0 && !a.codes_hi))
    return cudaErrorInvalidValue;
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  GemvKernelArgs& k = out.k;
  k.codes_lo = a.codes_lo;
  k.codes_hi = a.codes_hi;
  k.codebooks = static_cast<const __half*>(a.codebooks);
  k.x = static_cast<const __half*>(a.x);
  k.y = static_cast<__half*>(a.y);
  k.row_tiles = int((f.rows + 15) / 16);
  k.ws = static_cast<float*>(a.workspace);
  k.counters = a.workspace ? reinterpret_cast<unsigned*>(static_cast<char*>(a.workspace) +
                                                         std::size_t(kGemvMaxBatch) *
                                                             std::size_t(k.row_tiles) * 16 * 4)
                           : nullptr;
  k.batch = a.batch;
  k.rows = int(f.rows);
  k.cols = int(f.cols);
  k.chunks = int(f.cols / g.chunk_k);
  k.split_k = p.split_k;
  k.warps = p.warps;
  k.items = ((k.row_tiles + p.warps - 1) / p.warps) * p.split_k;
  k.stored = f.stored_entries();
  const CodebookTier tier = tier_of(p);
  k.n_reg = tier == CodebookTier::reg_smem ? p.n_reg : 0;
  k.n_smem = tier == CodebookTier::global_only ? 0 : p.n_smem;
  k.copy_shift = log2i(p.smem_copies);
  k.l1_bypass = p.l1_bypass ? 1 : 0;
  k.tile_rows = f.tile_rows;
  k.tile_chunks = f.tile_cols > 0 ? f.tile_cols / g.chunk_k : 0;
  out.fn = find_kernel(f, int(tier));
  out.threads = 32 * p.warps;
  out.smem = gemv_smem_bytes(f, p);
  const int per_sm = blocks_per_sm(out.fn, out.threads, out.smem, d.smem_per_block_optin_bytes);
  if (per_sm <= 0) return cudaErrorInvalidConfiguration;
  const int fit = p.blocks_per_sm > 0 ? std::min(per_sm, p.blocks_per_sm) : per_sm;
  out.resident_blocks = fit * d.sm_count;
  out.grid = std::min(k.items, out.resident_blocks);
  return cudaSuccess;
}

}  // namespace

int gemv_kernel_registers(const GemvFormat& format, CodebookTier tier) {
  const GemvKernelFn fn = find_kernel(format, int(tier));
  cudaFuncAttributes attr{};
  if (fn == nullptr ||
      cudaFuncGetAttributes(&attr, reinterpret_cast<const void*>(fn)) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return attr.numRegs;
}

int gemv_grid_blocks(const VqGemvArgs& args, const GemvParams& params) {
  Launch l;
  return plan(args, params, l) == cudaSuccess ? l.grid : 0;
}

int gemv_pick_split_k(const VqGemvArgs& args, const GemvParams& params) {
  GemvParams p = params;
  p.split_k = 1;
  Launch l;
  if (plan(args, p, l) != cudaSuccess) return 1;
  const GemvFormat& f = args.format;
  const int rtb = (l.k.row_tiles + p.warps - 1) / p.warps;
  const int max_split = f.tile_cols > 0 ? int(f.cols / f.tile_cols) : l.k.chunks;
  const int fit = l.resident_blocks;
  int best = 1;
  double best_eff = -1;
  for (int s = 1; s <= max_split; ++s) {
    // Keep at least 4 chunks per item (the code prefetch needs a run to pay off).
    if (s > 1 && f.tile_cols == 0 && l.k.chunks / s < 4) break;
    const long items = long(rtb) * s;
    const long waves = (items + fit - 1) / fit;
    const double eff = double(items) / double(waves * fit);
    if (eff > best_eff + 0.02) {
      best_eff = eff;
      best = s;
    }
    if (best_eff >= 0.95) break;
  }
  return best;
}

cudaError_t vq_gemv(const VqGemvArgs& args, const GemvParams& params, cudaStream_t stream) {
  Launch l;
  VQT_CUDA_RETURN(plan(args, params, l));
  l.fn<<<l.grid, l.threads, l.smem, stream>>>(l.k);
  return cudaGetLastError();
}

}  // namespace vqt
