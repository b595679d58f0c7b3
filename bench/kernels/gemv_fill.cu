#include "bench/kernels/gemv_fill.hpp"

#include <cuda_fp16.h>

#include "kernels/gemv_geometry.hpp"

namespace vqt::bench {

namespace {

__device__ __forceinline__ std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

__device__ __forceinline__ double uniform01(std::uint64_t h) {
  return double(h >> 11) * (1.0 / 9007199254740992.0);
}

// One thread per (lane slot of 16 codes).
__global__ void fill_codes_kernel(std::size_t n_lanes, int entries, int lattice, int hi_bits,
                                  std::uint8_t* lo, std::uint8_t* hi, std::uint64_t seed,
                                  double power) {
  const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_lanes) return;
  std::uint32_t lo_w[4] = {0, 0, 0, 0}, hi_w[4] = {0, 0, 0, 0};
  for (int q = 0; q < 16; ++q) {
    const std::uint64_t h = mix(seed ^ mix(i * 16 + std::uint64_t(q)));
    const double u = uniform01(h);
    std::uint32_t e = std::uint32_t(double(entries) * pow(u, power));
    if (e >= std::uint32_t(entries)) e = std::uint32_t(entries - 1);
    if (lattice) e |= std::uint32_t(mix(h) & 0xFF) << 8;
    lo_w[q / 4] |= (e & 0xFFu) << (8 * (q % 4));
    if (hi_bits == 4) hi_w[q / 8] |= ((e >> 8) & 0xFu) << (4 * (q % 8));
    if (hi_bits == 8) hi_w[q / 4] |= ((e >> 8) & 0xFFu) << (8 * (q % 4));
  }
  reinterpret_cast<uint4*>(lo)[i] = make_uint4(lo_w[0], lo_w[1], lo_w[2], lo_w[3]);
  if (hi_bits == 4) reinterpret_cast<uint2*>(hi)[i] = make_uint2(hi_w[0], hi_w[1]);
  if (hi_bits == 8)
    reinterpret_cast<uint4*>(hi)[i] = make_uint4(hi_w[0], hi_w[1], hi_w[2], hi_w[3]);
}

__global__ void fill_half_kernel(__half* p, std::size_t n, std::uint64_t seed, float scale) {
  const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const double u = uniform01(mix(seed ^ mix(i)));
  p[i] = __float2half_rn(float((2.0 * u - 1.0) * double(scale)));
}

}  // namespace

cudaError_t fill_skewed_codes(const GemvFormat& f, void* lo, void* hi, std::uint64_t seed,
                              double skew_power, cudaStream_t stream) {
  const GemvGeometry g = gemv_geometry(f.vec_size, f.residuals);
  const std::size_t n_lanes =
      std::size_t((f.rows + 15) / 16) * std::size_t(f.cols / g.chunk_k) * 32;
  const int entries = f.lattice_entries > 0 ? f.lattice_entries : 1 << f.index_bits;
  fill_codes_kernel<<<unsigned((n_lanes + 255) / 256), 256, 0, stream>>>(
      n_lanes, entries, f.lattice_entries > 0 ? 1 : 0, f.hi_bits(), static_cast<std::uint8_t*>(lo),
      static_cast<std::uint8_t*>(hi), seed, skew_power);
  return cudaGetLastError();
}

cudaError_t fill_uniform_half(void* p, std::size_t n, std::uint64_t seed, float scale,
                              cudaStream_t stream) {
  fill_half_kernel<<<unsigned((n + 255) / 256), 256, 0, stream>>>(static_cast<__half*>(p), n, seed,
                                                                  scale);
  return cudaGetLastError();
}

}  // namespace vqt::bench
