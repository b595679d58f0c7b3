// VQ GEMM host API (prefill): y[m][rows] = x[m][cols] * W^T, W VQ-compressed along cols in the
// GEMV device layout (vq_device_layout.hpp: pack_for_gemv), fp16 in and out, fp32 accumulation.
//
//   std::string why = can_implement_gemm(format, m, params, device);   // gemm_params.hpp
//   vq_gemm(args, params, stream);                                     // cudaError_t
//
// Strategies: fused_regs (gemm_vq_kernel.cuh) and unfused (vq_dequantize_fp16 into the
// workspace, then cuBLAS through cublas_gemv_fp16 with batch = m); see gemm_params.hpp.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/gemm_params.hpp"

namespace vqt {

struct VqGemmArgs {
  GemvFormat format;
  const void* codes_lo = nullptr;   // device layout of pack_for_gemv
  const void* codes_hi = nullptr;   // null when format.hi_bits() == 0
  const void* codebooks = nullptr;  // fp16 [instances][r][stored][v]
  const void* x = nullptr;          // fp16 [m][cols]
  void* y = nullptr;                // fp16 [m][rows]
  std::int64_t m = 0;
  void* workspace = nullptr;  // gemm_workspace_bytes(format, m, params)
  std::size_t workspace_bytes = 0;
  cublasHandle_t cublas = nullptr;  // unfused only
};

// Returns cudaErrorInvalidValue when can_implement_gemm refuses, a pointer is missing or the
// workspace is too small; cudaErrorUnknown when cuBLAS fails; else the launch's error.
cudaError_t vq_gemm(const VqGemmArgs& args, const GemmParams& params, cudaStream_t stream);

}  // namespace vqt
