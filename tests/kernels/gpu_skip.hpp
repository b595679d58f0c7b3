// The one rule for skipping the kernels' gpu tier: skip, with the reason, when there is no CUDA
// device or it is not the compute capability 9.0 the kernels are built for (sm_90a).
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <string>

namespace vqt::testing {

// Empty when the kernels can run here; otherwise why not.
inline std::string no_device_reason() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(err);
  if (n == 0) return "no CUDA device: device count is 0";
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return "cannot read device properties";
  if (p.major != 9 || p.minor != 0) return "kernels are built for sm_90a, device is not 9.0";
  return {};
}

}  // namespace vqt::testing

#define VQT_SKIP_WITHOUT_GPU()                                   \
  do {                                                           \
    const std::string why_ = ::vqt::testing::no_device_reason(); \
    if (!why_.empty()) GTEST_SKIP() << why_;                     \
  } while (0)
