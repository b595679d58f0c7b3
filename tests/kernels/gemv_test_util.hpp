// Test helpers for the VQ GEMV: skewed random VqTensors (Zipf-like, hottest entry first: what the
// quantizer's reordering produces, and what exercises every cache tier), fp16-exact activations,
// the normalised error.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tests/vq/random_tensor.hpp"
#include "vq/half.hpp"
#include "vq/vq_config.hpp"
#include "vq/vq_tensor.hpp"

namespace vqt::test {

// Index with P(e) decreasing in e: floor(n * u^3), u uniform (about 40 % of the lookups hit the
// hottest 6 % of the entries).
inline std::uint32_t skewed_index(std::mt19937_64& rng, std::uint32_t n) {
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  const auto e = std::uint32_t(double(n) * u * u * u);
  return e < n ? e : n - 1;
}

// Codes drawn hottest-first with skewed_index; lattice configs get a skewed table row in the low
// 8 bits and random sign bits above.
inline VqTensor skewed_tensor(const VqConfig& c, std::int64_t rows, std::int64_t cols,
                              std::uint64_t seed) {
  return tensor_with_codes(c, rows, cols, seed, [&c](std::mt19937_64& rng) -> std::uint32_t {
    if (c.lattice_entries > 0)
      return skewed_index(rng, std::uint32_t(c.lattice_entries)) |
             std::uint32_t((rng() & 0xFF) << 8);
    return skewed_index(rng, std::uint32_t(1) << c.index_bits);
  });
}

// Random activations already rounded to fp16 (the kernel and the reference see the same x).
inline void random_x(std::int64_t n, std::uint64_t seed, std::vector<float>& xf,
                     std::vector<std::uint16_t>& xh) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  xf.resize(std::size_t(n));
  xh.resize(std::size_t(n));
  for (std::size_t i = 0; i < xf.size(); ++i) {
    xh[i] = float_to_half_bits(nd(rng));
    xf[i] = half_bits_to_float(xh[i]);
  }
}

// ||y - ref|| / ||ref|| over the first `count` outputs; +inf when any y is NaN or inf.
inline double rel_error(const std::vector<std::uint16_t>& y, const std::vector<double>& ref,
                        std::size_t count) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double v = half_bits_to_float(y[i]);
    if (!std::isfinite(v)) return INFINITY;
    num += (v - ref[i]) * (v - ref[i]);
    den += ref[i] * ref[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace vqt::test
