// Device-side random fills for bench_attention (filling gigabytes of KV cache from the host would
// take longer than the benchmark): a counter-based hash, so every set gets different data.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "bench/kernels/bench_attention_fill.hpp"

namespace vqt::bench {
namespace {

__device__ __forceinline__ std::uint32_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return std::uint32_t(x);
}

__global__ void fill_half_kernel(__half* p, std::size_t n, std::uint64_t seed, float scale) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x) {
    const float u = float(mix(seed * 0x9e3779b97f4a7c15ull + i) >> 8) * (1.0f / 16777216.0f);
    p[i] = __float2half((2.0f * u - 1.0f) * scale);
  }
}

__global__ void fill_bytes_kernel(std::uint8_t* p, std::size_t n, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n;
       i += std::size_t(gridDim.x) * blockDim.x)
    p[i] = std::uint8_t(mix(seed * 0x9e3779b97f4a7c15ull + i));
}

}  // namespace

cudaError_t fill_random_half(std::uint16_t* p, std::size_t n, std::uint64_t seed, float scale) {
  fill_half_kernel<<<1024, 256>>>(reinterpret_cast<__half*>(p), n, seed, scale);
  return cudaGetLastError();
}

cudaError_t fill_random_bytes(std::uint8_t* p, std::size_t n, std::uint64_t seed) {
  fill_bytes_kernel<<<1024, 256>>>(p, n, seed);
  return cudaGetLastError();
}

}  // namespace vqt::bench
