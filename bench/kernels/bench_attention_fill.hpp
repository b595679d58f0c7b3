// Device-side random fills for the attention benchmark (uniform fp16 in [-scale, scale], bytes).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace vqt::bench {

cudaError_t fill_random_half(std::uint16_t* p, std::size_t n, std::uint64_t seed, float scale);
cudaError_t fill_random_bytes(std::uint8_t* p, std::size_t n, std::uint64_t seed);

}  // namespace vqt::bench
