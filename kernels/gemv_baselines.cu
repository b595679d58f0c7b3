#include "kernels/gemv_baselines.hpp"

#include <cuda_fp16.h>

#include "kernels/gemv_geometry.hpp"
#include "kernels/gemv_kernel_args.hpp"

namespace vqt {

cudaError_t cublas_gemv_fp16(cublasHandle_t handle, const void* w, const void* x, void* y,
                             std::int64_t rows, std::int64_t cols, int batch, cudaStream_t stream) {
  if (cublasSetStream(handle, stream) != CUBLAS_STATUS_SUCCESS) return cudaErrorUnknown;
  const float alpha = 1.0f, beta = 0.0f;
  const cublasStatus_t st =
      cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, int(rows), batch, int(cols), &alpha, w,
                   CUDA_R_16F, int(cols), x, CUDA_R_16F, int(cols), &beta, y, CUDA_R_16F, int(rows),
                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  return st == CUBLAS_STATUS_SUCCESS ? cudaGetLastError() : cudaErrorUnknown;
}

cudaError_t vq_dequantize_fp16(const VqGemvArgs& a, void* w_out, cudaStream_t stream) {
  const GemvFormat& f = a.format;
  if (f.vec_size != 2 && f.vec_size != 4 && f.vec_size != 8) return cudaErrorInvalidValue;
  if (f.residuals < 1 || f.residuals > 2) return cudaErrorInvalidValue;
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  if (f.cols % g.chunk_k != 0 || !w_out || !a.codes_lo || !a.codebooks)
    return cudaErrorInvalidValue;
  const bool lat = f.lattice_entries > 0;
  GemvKernelFn fn = f.vec_size == 2   ? find_dequant_kernel_v2(f.residuals, f.hi_bits(), lat)
                    : f.vec_size == 4 ? find_dequant_kernel_v4(f.residuals, f.hi_bits(), lat)
                                      : find_dequant_kernel_v8(f.residuals, f.hi_bits(), lat);
  if (!fn) return cudaErrorInvalidValue;
  GemvKernelArgs k{};
  k.codes_lo = a.codes_lo;
  k.codes_hi = a.codes_hi;
  k.codebooks = static_cast<const __half*>(a.codebooks);
  k.y = static_cast<__half*>(w_out);
  k.rows = int(f.rows);
  k.cols = int(f.cols);
  k.row_tiles = int((f.rows + 15) / 16);
  k.chunks = int(f.cols / g.chunk_k);
  k.stored = f.stored_entries();
  k.tile_rows = f.tile_rows;
  k.tile_chunks = f.tile_cols > 0 ? f.tile_cols / g.chunk_k : 0;
  const std::size_t threads = std::size_t(k.row_tiles) * std::size_t(k.chunks) * 32;
  const unsigned blocks = unsigned((threads + 255) / 256);
  fn<<<blocks, 256, 0, stream>>>(k);
  return cudaGetLastError();
}

}  // namespace vqt
