// Baselines the fused VQ GEMV is measured against, in the same binaries:
//   cublas_gemv_fp16     y = x W^T with W fp16 [rows][cols] through cublasGemmEx (fp32 compute)
//   vq_dequantize_fp16   decode the VQ codes to W fp16 [rows][cols] (then cublas_gemv_fp16:
//                        the "dequantize then cuBLAS" baseline)
// The codebook-in-global baseline is vq_gemv with GemvParams{} (n_reg = n_smem = 0).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/gemv_params.hpp"

namespace vqt {

// Column-major view: Y (rows x batch, ld rows) = W^T (cols x rows, ld cols)^T * X (cols x batch).
// Returns cudaErrorUnknown when cuBLAS fails. The handle's stream is set to `stream`.
cudaError_t cublas_gemv_fp16(cublasHandle_t handle, const void* w, const void* x, void* y,
                             std::int64_t rows, std::int64_t cols, int batch, cudaStream_t stream);

// Writes W (fp16, rows x cols, row-major) decoded from args' codes and codebooks to w_out;
// args.x / y / batch / workspace are ignored.
cudaError_t vq_dequantize_fp16(const VqGemvArgs& args, void* w_out, cudaStream_t stream);

}  // namespace vqt
