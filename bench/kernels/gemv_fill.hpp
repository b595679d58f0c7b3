// Device-side random VQ weights for the GEMV benchmarks: codes with a skewed (Zipf-like, hottest
// first) index distribution written straight into the device layout, random fp16 codebooks and
// activations. Kernel speed depends on the index distribution, not on codebook quality.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/gemv_params.hpp"

namespace vqt::bench {

// Index e of each code drawn as floor(entries * u^skew_power), u uniform (skew_power = 3: about
// half the lookups hit the hottest 1/8 of the entries); lattice configs draw the table row this
// way and the 8 sign bits uniformly. Fills lo (and hi when the format has one).
cudaError_t fill_skewed_codes(const GemvFormat& f, void* lo, void* hi, std::uint64_t seed,
                              double skew_power, cudaStream_t stream);

// Uniform fp16 in [-scale, scale] (fp16 bit patterns).
cudaError_t fill_uniform_half(void* p, std::size_t n, std::uint64_t seed, float scale,
                              cudaStream_t stream);

}  // namespace vqt::bench
