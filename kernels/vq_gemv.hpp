// Fused VQ GEMV host API: y[batch][rows] = x[batch][cols] * W^T, W VQ-compressed along cols
// (device layout: vq_device_layout.hpp), fp16 in and out, fp32 accumulation on tensor cores.
//
//   std::string why = can_implement(format, batch, params, device);   // empty = runs
//   vq_gemv(args, params, stream);                                    // cudaError_t
//
// Instances: v in {2, 4, 8} x r in {1, 2} x index width (8 / 9..12 / 13..16 bits) x codebook tier
// (global / smem / registers+smem) + the quip#-4 lattice kernel; everything else (placement
// boundaries, copies, L1 bypass, split-k, warps, grid) is a runtime parameter. See
// docs/kernels.md for why.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

#include "kernels/gemv_params.hpp"

namespace vqt {

// Empty when (format, batch, params) can run on `device`; else one line saying why not.
std::string can_implement(const GemvFormat& format, int batch, const GemvParams& params,
                          const GemvDevice& device);

// Dynamic shared memory of the codebook cache for these params.
std::size_t gemv_smem_bytes(const GemvFormat& format, const GemvParams& params);

// Properties of CUDA device `device` (cached); throws vqt::Error when there is none.
GemvDevice gemv_device(int device = 0);

// Launches the fused kernel on `stream`. Returns cudaErrorInvalidValue when can_implement refuses
// (or the split-k workspace is missing / too small), else the launch's error. Does not
// synchronise.
cudaError_t vq_gemv(const VqGemvArgs& args, const GemvParams& params, cudaStream_t stream);

// A split_k for `params` (its own split_k ignored) that fills the persistent grid with whole
// waves of work items (row tiles x k slices), keeping >= 4 chunks per item; 1 when the params
// cannot run. The tuner searches around it.
int gemv_pick_split_k(const VqGemvArgs& args, const GemvParams& params);

// Registers per thread of the kernel instance that runs `format` with codebook tier `tier`
// (cudaFuncGetAttributes); 0 when there is no such instance or no device. The cost model keeps
// its own table of these (model/detail/gemv_model.cpp); the GPU tests compare the two.
int gemv_kernel_registers(const GemvFormat& format, CodebookTier tier);

// Number of blocks vq_gemv launches (persistent grid), for reports and the cost model.
int gemv_grid_blocks(const VqGemvArgs& args, const GemvParams& params);

}  // namespace vqt
