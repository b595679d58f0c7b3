// VQ GEMM launcher: checks, then picks the fused instance (whose last block per tile adds the
// split-k partials) or runs dequantize + cuBLAS.
#include "kernels/gemm_vq.hpp"

#include <cuda_fp16.h>

#include "kernels/cuda_check.hpp"
#include "kernels/gemm_kernel_args.hpp"
#include "kernels/gemv_baselines.hpp"
#include "kernels/gemv_geometry.hpp"
#include "kernels/vq_gemv.hpp"

namespace vqt {
namespace {

GemmKernelFn find_kernel(const GemvFormat& f, const GemmParams& p) {
  const int nt = p.tile_m / 8;
  if (f.vec_size == 8)
    return find_gemm_kernel_v8(f.residuals, f.hi_bits(), f.lattice_entries > 0, p.codebook_smem,
                               nt);
  if (f.vec_size == 4)
    return find_gemm_kernel_v4(f.residuals, f.hi_bits(), f.lattice_entries > 0, p.codebook_smem,
                               nt);
  return nullptr;
}

}  // namespace

cudaError_t vq_gemm(const VqGemmArgs& a, const GemmParams& p, cudaStream_t stream) {
  int dev = 0;
  VQT_CUDA_RETURN(cudaGetDevice(&dev));
  GemvDevice d;
  try {
    d = gemv_device(dev);
  } catch (const Error&) {
    return cudaErrorNoDevice;
  }
  const GemvFormat& f = a.format;
  if (!can_implement_gemm(f, a.m, p, d).empty()) return cudaErrorInvalidValue;
  if (!a.codes_lo || !a.codebooks || !a.x || !a.y || (f.hi_bits() > 0 && !a.codes_hi))
    return cudaErrorInvalidValue;
  const std::size_t ws_need = gemm_workspace_bytes(f, a.m, p);
  if (ws_need > 0 && (!a.workspace || a.workspace_bytes < ws_need)) return cudaErrorInvalidValue;

  if (p.strategy == GemmStrategy::unfused) {
    if (!a.cublas) return cudaErrorInvalidValue;
    VqGemvArgs g;
    g.format = f;
    g.codes_lo = a.codes_lo;
    g.codes_hi = a.codes_hi;
    g.codebooks = a.codebooks;
    VQT_CUDA_RETURN(vq_dequantize_fp16(g, a.workspace, stream));
    return cublas_gemv_fp16(a.cublas, a.workspace, a.x, a.y, f.rows, f.cols, int(a.m), stream);
  }

  const GemvGeometry geo = gemv_geometry(f.vec_size, f.residuals);
  GemmKernelArgs k{};
  k.codes_lo = a.codes_lo;
  k.codes_hi = a.codes_hi;
  k.codebooks = static_cast<const __half*>(a.codebooks);
  k.x = static_cast<const __half*>(a.x);
  k.y = static_cast<__half*>(a.y);
  k.ws = static_cast<float*>(a.workspace);
  k.counters = p.split_k > 1 ? reinterpret_cast<unsigned*>(static_cast<char*>(a.workspace) +
                                                           gemm_counters_offset(f, a.m, p))
                             : nullptr;
  k.m = int(a.m);
  k.rows = int(f.rows);
  k.cols = int(f.cols);
  k.chunks = int(f.cols / geo.chunk_k);
  k.split_k = p.split_k;
  k.warps = p.warps;
  k.k_groups = p.k_groups;
  k.m_tiles = int((a.m + p.tile_m - 1) / p.tile_m);
  k.stored = f.stored_entries();
  k.n_smem = p.codebook_smem ? f.stored_entries() : 0;
  k.copy_shift = p.smem_copies >= 8 ? 3 : p.smem_copies >= 4 ? 2 : p.smem_copies >= 2 ? 1 : 0;
  k.tile_rows = f.tile_rows;
  k.tile_chunks = f.tile_cols > 0 ? f.tile_cols / geo.chunk_k : 0;
  const GemmKernelFn fn = find_kernel(f, p);
  if (!fn) return cudaErrorInvalidValue;
  const std::size_t smem = gemm_smem_bytes(f, p);
  VQT_CUDA_RETURN(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  const std::int64_t blocks = (f.rows / (16 * (p.warps / p.k_groups))) * k.m_tiles * p.split_k;
  if (blocks <= 0 || blocks > 0x7fffffff) return cudaErrorInvalidValue;
  fn<<<unsigned(blocks), unsigned(32 * p.warps), smem, stream>>>(k);
  return cudaGetLastError();
}

}  // namespace vqt
