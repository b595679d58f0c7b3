// Synthetic tensors with the statistics of real LLM weights and KV caches, for the default index
// histogram (no VQ file given), tests and benchmarks. Deterministic for a seed.
//
// Weights W [rows][cols] (rows = output features):
//   W[n][k] = row_scale[n] * col_scale[k] * z[n][k]
//   row_scale: base_std * exp(row_log_std * N(0,1))     (log-normal; real rows differ ~2x)
//   col_scale: 1, except a fraction outlier_col_fraction of input columns (the channels that
//              carry activation outliers) scaled by U(outlier_col_min, outlier_col_max)
//   z:         N(0,1), except a fraction outlier_elem_fraction of elements drawn from a Student-t
//              with outlier_dof degrees of freedom times outlier_elem_scale (heavy tails; kurtosis
//              of real weight matrices is well above Gaussian's 3)
// Quantizing such a matrix gives the skewed index histograms real checkpoints show: entries near
// the centre of the distribution (used by small-scale rows and the bulk of every row) are looked
// up far more often than the entries k-means spends on the tails.
//
// KV caches [batch][kv_heads][context][head_dim]: keys have per-channel scales with a few outlier
// channels (as measured on LLaMA keys, KIVI/KVQuant), values are near-Gaussian per token.
#pragma once

#include <cstdint>
#include <vector>

namespace vqt {

struct SyntheticWeightStats {
  double base_std = 0.02;
  double row_log_std = 0.35;
  double outlier_col_fraction = 0.01;
  double outlier_col_min = 3.0;
  double outlier_col_max = 8.0;
  double outlier_elem_fraction = 0.005;
  double outlier_dof = 3.0;
  double outlier_elem_scale = 3.0;
};

std::vector<float> synthetic_weights(std::int64_t rows, std::int64_t cols, std::uint64_t seed,
                                     const SyntheticWeightStats& stats = {});

// keys = true: per-channel scales 0.5..1.5 and ~3% outlier channels at 5-10x; keys = false:
// per-token scales, no channel outliers. Layout [batch][kv_heads][context][head_dim].
std::vector<float> synthetic_kv(std::int64_t batch, std::int64_t kv_heads, std::int64_t context,
                                std::int64_t head_dim, bool keys, std::uint64_t seed);

}  // namespace vqt
