#include "tests/profiler/counter_kernels.cuh"

namespace vqt::test {

namespace {

__global__ void smem_stride_kernel(int stride, int iters, float* sink) {
  __shared__ float s[1024];
  for (int i = threadIdx.x; i < 1024; i += blockDim.x) s[i] = float(i & 7) + 1.0f;
  __syncthreads();
  const int lane = threadIdx.x & 31;
  float acc = 0;
  for (int i = 0; i < iters; ++i) acc += s[(lane * stride + i) & 1023];
  if (acc == -1.0f) *sink = acc;  // values are positive: never true
}

}  // namespace

cudaError_t launch_smem_stride(int stride, int iters, float* sink, int blocks, int threads,
                               cudaStream_t stream) {
  smem_stride_kernel<<<blocks, threads, 0, stream>>>(stride, iters, sink);
  return cudaGetLastError();
}

}  // namespace vqt::test
