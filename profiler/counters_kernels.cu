#include "profiler/counters_kernels.cuh"

namespace vqt::profiler::detail {

namespace {

__global__ void l2_clean_kernel(const float4* __restrict__ in, std::size_t n4, float* sink) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  float acc = 0;
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n4; i += stride)
    acc += __ldcg(in + i).x;
  if (acc == -1.0f) *sink = acc;  // the buffer holds positive values: never true
}

}  // namespace

cudaError_t launch_l2_clean(const void* buf, std::size_t n4, float* sink, int blocks,
                            cudaStream_t stream) {
  l2_clean_kernel<<<blocks, 256, 0, stream>>>(static_cast<const float4*>(buf), n4, sink);
  return cudaGetLastError();
}

}  // namespace vqt::profiler::detail
