// Test helper: a VqTensor with random codes and codebooks for any config (fresh per seed).
#pragma once

#include <cstdint>
#include <random>

#include "vq/vq_tensor.hpp"

namespace vqt::test {

// A VqTensor of `rows` x `cols` with N(0, 1) codebooks (magnitudes for lattice configs) and one
// code per vector and level from draw_code(rng). Every test tensor is made here; the callers
// differ only in how codes are drawn.
template <typename DrawCode>
VqTensor tensor_with_codes(const VqConfig& c, std::int64_t rows, std::int64_t cols,
                           std::uint64_t seed, DrawCode draw_code) {
  VqTensor t;
  t.config = c;
  t.rows = rows;
  t.cols = cols;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  t.codebooks.resize(std::size_t(t.instances() * c.residuals * c.stored_entries() * c.vec_size));
  for (auto& x : t.codebooks) x = nd(rng);
  if (c.lattice_entries > 0)
    for (auto& x : t.codebooks) x = x < 0 ? -x : x;  // magnitudes
  t.codes.resize(std::size_t(rows * t.groups_per_row() * c.residuals));
  for (auto& x : t.codes) x = std::uint16_t(draw_code(rng));
  return t;
}

// Uniform random codes over all 2^b indices (fresh per seed).
inline VqTensor random_tensor(const VqConfig& c, std::int64_t rows, std::int64_t cols,
                              std::uint64_t seed) {
  const std::uint64_t limit = std::uint64_t{1} << c.index_bits;
  return tensor_with_codes(c, rows, cols, seed,
                           [limit](std::mt19937_64& rng) { return rng() % limit; });
}

}  // namespace vqt::test
