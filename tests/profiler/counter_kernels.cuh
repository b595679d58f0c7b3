// Test kernels with known shared-memory behaviour for the hardware-counter tests.
#pragma once

#include <cuda_runtime_api.h>

namespace vqt::test {

// Every thread loads `iters` floats from a 4 KiB shared array; lane l of a warp reads word
// (l * stride + i) mod 1024 in iteration i. stride 1: the 32 lanes hit 32 banks (1 wavefront per
// load instruction); stride 32: all lanes hit one bank at 32 distinct addresses (a 32-way
// conflict, 32 wavefronts). The shared array is filled with 1024 / blockDim stores per thread.
cudaError_t launch_smem_stride(int stride, int iters, float* sink, int blocks, int threads,
                               cudaStream_t stream);

}  // namespace vqt::test
