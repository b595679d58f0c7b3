#include "vq/synthetic.hpp"

#include <cmath>
#include <random>
#include <string>

#include "vq/error.hpp"

namespace vqt {

std::vector<float> synthetic_weights(std::int64_t rows, std::int64_t cols, std::uint64_t seed,
                                     const SyntheticWeightStats& s) {
  if (rows <= 0 || cols <= 0)
    throw InputError("synthetic weights: shape " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " must be positive");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::student_t_distribution<double> td(s.outlier_dof);
  std::vector<double> col_scale(static_cast<std::size_t>(cols), 1.0);
  for (auto& c : col_scale)
    if (u(rng) < s.outlier_col_fraction)
      c = s.outlier_col_min + (s.outlier_col_max - s.outlier_col_min) * u(rng);
  std::vector<float> w(std::size_t(rows * cols));
  for (std::int64_t n = 0; n < rows; ++n) {
    const double row_scale = s.base_std * std::exp(s.row_log_std * nd(rng));
    for (std::int64_t k = 0; k < cols; ++k) {
      double z = nd(rng);
      if (u(rng) < s.outlier_elem_fraction) z = td(rng) * s.outlier_elem_scale;
      w[std::size_t(n * cols + k)] = float(row_scale * col_scale[std::size_t(k)] * z);
    }
  }
  return w;
}

std::vector<float> synthetic_kv(std::int64_t batch, std::int64_t kv_heads, std::int64_t context,
                                std::int64_t head_dim, bool keys, std::uint64_t seed) {
  if (batch <= 0 || kv_heads <= 0 || context <= 0 || head_dim <= 0)
    throw InputError("synthetic KV cache: every dimension must be positive");
  std::mt19937_64 rng(seed ^ (keys ? 0x6b657973ull : 0x76616c73ull));
  std::normal_distribution<double> nd(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Channel scales per KV head (keys), shared across batch and tokens.
  std::vector<double> ch(std::size_t(kv_heads * head_dim), 1.0);
  if (keys)
    for (auto& c : ch) c = (u(rng) < 0.03 ? 5.0 + 5.0 * u(rng) : 0.5 + u(rng));
  std::vector<float> out(std::size_t(batch * kv_heads * context * head_dim));
  std::size_t at = 0;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t h = 0; h < kv_heads; ++h)
      for (std::int64_t t = 0; t < context; ++t) {
        const double tok = keys ? 1.0 : std::exp(0.3 * nd(rng));
        for (std::int64_t d = 0; d < head_dim; ++d)
          out[at++] = float(tok * ch[std::size_t(h * head_dim + d)] * nd(rng));
      }
  return out;
}

}  // namespace vqt
