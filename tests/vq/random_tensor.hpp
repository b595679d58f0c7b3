// Test helper: a VqTensor with random codes and codebooks for any config (fresh per seed).
#pragma once

#include <cstdint>
#include <random>

#include "vq/vq_tensor.hpp"

namespace vqt::test {

inline VqTensor random_tensor(const VqConfig& c, std::int64_t rows, std::int64_t cols,
                              std::uint64_t seed) {
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
  const std::uint64_t limit = std::uint64_t{1} << c.index_bits;
  for (auto& x : t.codes) x = std::uint16_t(rng() % limit);
  return t;
}

}  // namespace vqt::test
