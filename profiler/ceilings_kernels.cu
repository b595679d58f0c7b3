#include <cuda_fp16.h>

#include "profiler/ceilings_kernels.cuh"

namespace vqt::profiler::detail {

namespace {

__device__ __forceinline__ unsigned hash_u32(unsigned x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

__global__ void fill_kernel(float* data, std::size_t n, unsigned seed) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x)
    data[i] = 0.5f + float(hash_u32(unsigned(i) ^ seed) & 0xffffu) / 65536.0f;
}

__global__ void fill_half_kernel(__half* data, std::size_t n, unsigned seed) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x)
    data[i] = __float2half(float(hash_u32(unsigned(i) ^ seed) & 0xffffu) / 32768.0f - 1.0f);
}

// Four independent float4 loads per iteration keep enough bytes in flight to saturate HBM.
__global__ void read_kernel(const float4* __restrict__ in, std::size_t n4, float* sink) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x;
  float acc = 0;
  for (; i + 3 * stride < n4; i += 4 * stride) {
    const float4 a = __ldcs(in + i), b = __ldcs(in + i + stride);
    const float4 c = __ldcs(in + i + 2 * stride), d = __ldcs(in + i + 3 * stride);
    acc += (a.x + b.y) + (c.z + d.w);
  }
  for (; i < n4; i += stride) acc += __ldcs(in + i).x;
  if (acc == -1.0f) *sink = acc;  // inputs are positive: never true
}

__global__ void write_kernel(float4* __restrict__ out, std::size_t n4) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  const float4 v = make_float4(1.f, 2.f, 3.f, float(threadIdx.x));
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n4; i += stride)
    __stcs(out + i, v);
}

__global__ void copy_kernel(const float4* __restrict__ in, float4* __restrict__ out,
                            std::size_t n4) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x;
  for (; i + stride < n4; i += 2 * stride) {
    const float4 a = __ldcs(in + i), b = __ldcs(in + i + stride);
    __stcs(out + i, a);
    __stcs(out + i + stride, b);
  }
  for (; i < n4; i += stride) __stcs(out + i, __ldcs(in + i));
}

__global__ void l2_read_kernel(const float4* __restrict__ in, std::size_t n4, int passes,
                               float* sink) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  const std::size_t total = n4 * std::size_t(passes);
  float acc = 0;
  std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x;
  std::size_t j = i % n4;
  const std::size_t step = stride % n4;
  for (; i < total; i += stride) {
    acc += __ldcg(in + j).y;
    j += step;
    if (j >= n4) j -= n4;
  }
  if (acc == -1.0f) *sink = acc;
}

__global__ void smem_read_kernel(int iters, float* sink) {
  __shared__ float4 s[kSmemFloat4s];
  for (int i = threadIdx.x; i < kSmemFloat4s; i += blockDim.x)
    s[i] = make_float4(float(i), 1.f, 2.f, 3.f);
  __syncthreads();
  float4 acc = make_float4(0.f, 0.f, 0.f, 0.f);
  int idx = threadIdx.x;
  for (int it = 0; it < iters; ++it) {
    // A warp reads 32 consecutive float4 (512 B): 4 wavefronts, no bank conflicts.
    const float4 v = s[idx & (kSmemFloat4s - 1)];
    acc.x += v.x;
    acc.y += v.y;
    acc.z += v.z;
    acc.w += v.w;
    idx += 32;
  }
  if (acc.x + acc.y + acc.z + acc.w == -1.0f) *sink = acc.x;
}

__global__ void fma_kernel(int iters, float* sink) {
  float x[kFmaChains];
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) x[c] = float(threadIdx.x + c);
  const float a = 0.9999f, b = 0.0001f;
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int u = 0; u < 8; ++u) {
#pragma unroll
      for (int c = 0; c < kFmaChains; ++c) x[c] = fmaf(x[c], a, b);
    }
  }
  float sum = 0;
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) sum += x[c];
  if (sum == -1.0f) *sink = sum;
}

__global__ void empty_kernel() {}

__global__ void wait_flag_kernel(const volatile int* flag, unsigned long long timeout_ns) {
  unsigned long long t0 = 0, t = 0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  do {
    if (*flag != 0) return;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  } while (t - t0 < timeout_ns);
}

}  // namespace

cudaError_t launch_fill(float* data, std::size_t n, unsigned seed, cudaStream_t stream) {
  fill_kernel<<<1024, 256, 0, stream>>>(data, n, seed);
  return cudaGetLastError();
}
cudaError_t launch_fill_half(void* data, std::size_t n, unsigned seed, cudaStream_t stream) {
  fill_half_kernel<<<1024, 256, 0, stream>>>(static_cast<__half*>(data), n, seed);
  return cudaGetLastError();
}
cudaError_t launch_read(const void* in, std::size_t n4, float* sink, int blocks,
                        cudaStream_t stream) {
  read_kernel<<<blocks, 256, 0, stream>>>(static_cast<const float4*>(in), n4, sink);
  return cudaGetLastError();
}
cudaError_t launch_write(void* out, std::size_t n4, int blocks, cudaStream_t stream) {
  write_kernel<<<blocks, 256, 0, stream>>>(static_cast<float4*>(out), n4);
  return cudaGetLastError();
}
cudaError_t launch_copy(const void* in, void* out, std::size_t n4, int blocks,
                        cudaStream_t stream) {
  copy_kernel<<<blocks, 256, 0, stream>>>(static_cast<const float4*>(in), static_cast<float4*>(out),
                                          n4);
  return cudaGetLastError();
}
cudaError_t launch_l2_read(const void* in, std::size_t n4, int passes, float* sink, int blocks,
                           cudaStream_t stream) {
  l2_read_kernel<<<blocks, 256, 0, stream>>>(static_cast<const float4*>(in), n4, passes, sink);
  return cudaGetLastError();
}
cudaError_t launch_smem_read(int iters, float* sink, int blocks, int threads, cudaStream_t stream) {
  smem_read_kernel<<<blocks, threads, 0, stream>>>(iters, sink);
  return cudaGetLastError();
}
cudaError_t launch_fma(int iters, float* sink, int blocks, int threads, cudaStream_t stream) {
  fma_kernel<<<blocks, threads, 0, stream>>>(iters, sink);
  return cudaGetLastError();
}
cudaError_t launch_empty(cudaStream_t stream) {
  empty_kernel<<<1, 32, 0, stream>>>();
  return cudaGetLastError();
}
cudaError_t launch_wait_flag(const volatile int* flag, unsigned long long timeout_ns,
                             cudaStream_t stream) {
  wait_flag_kernel<<<1, 1, 0, stream>>>(flag, timeout_ns);
  return cudaGetLastError();
}

}  // namespace vqt::profiler::detail
