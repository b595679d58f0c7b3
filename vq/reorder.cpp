#include "vq/reorder.hpp"

#include <algorithm>
#include <numeric>

namespace vqt {

std::vector<std::vector<std::uint32_t>> reorder_hottest_first(VqTensor& t) {
  t.check_consistent();
  const auto& c = t.config;
  const int r = c.residuals, v = c.vec_size;
  const std::int64_t k = c.stored_entries();
  const std::int64_t inst = t.instances();
  const std::int64_t gpr = t.groups_per_row();
  const std::uint32_t row_mask = c.lattice_entries > 0 ? 0xFFu : 0xFFFFu;

  // Counts per (instance, level, stored entry).
  std::vector<std::uint64_t> counts(std::size_t(inst * r * k), 0);
  for (std::int64_t row = 0; row < t.rows; ++row)
    for (std::int64_t g = 0; g < gpr; ++g) {
      const std::int64_t i = t.instance_of(row, g * v);
      for (int l = 0; l < r; ++l)
        ++counts[std::size_t((i * r + l) * k + (t.code(row, g, l) & row_mask))];
    }

  std::vector<std::vector<std::uint32_t>> perms(std::size_t(inst * r));
  std::vector<std::vector<std::uint32_t>> inverse(std::size_t(inst * r));
  std::vector<float> tmp(std::size_t(k * v));
  for (std::int64_t il = 0; il < inst * r; ++il) {
    auto& perm = perms[std::size_t(il)];
    perm.resize(std::size_t(k));
    std::iota(perm.begin(), perm.end(), 0u);
    const std::uint64_t* cnt = counts.data() + il * k;
    std::stable_sort(perm.begin(), perm.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return cnt[a] > cnt[b]; });
    auto& inv = inverse[std::size_t(il)];
    inv.resize(std::size_t(k));
    for (std::int64_t e = 0; e < k; ++e) inv[perm[std::size_t(e)]] = std::uint32_t(e);
    float* cb = t.codebooks.data() + il * k * v;
    for (std::int64_t e = 0; e < k; ++e)
      std::copy(cb + std::int64_t(perm[std::size_t(e)]) * v,
                cb + std::int64_t(perm[std::size_t(e)]) * v + v, tmp.begin() + e * v);
    std::copy(tmp.begin(), tmp.end(), cb);
  }

  for (std::int64_t row = 0; row < t.rows; ++row)
    for (std::int64_t g = 0; g < gpr; ++g) {
      const std::int64_t i = t.instance_of(row, g * v);
      for (int l = 0; l < r; ++l) {
        auto& code = t.codes[std::size_t((row * gpr + g) * r + l)];
        const std::uint32_t old_row = code & row_mask;
        const std::uint32_t new_row = inverse[std::size_t(i * r + l)][old_row];
        code = std::uint16_t((code & ~row_mask) | new_row);
      }
    }
  return perms;
}

}  // namespace vqt
