// What the kernel families' models (gemv_model, gemm_model, attention_model) share to turn their
// limits into a time and a bound. Internal to model/.
#pragma once

#include <cmath>
#include <initializer_list>

#include "model/cost_model.hpp"

namespace vqt::detail {

inline double ceil_ratio(double a, double b) {
  return std::ceil(a / b);
}

// (sum x_i^p)^(1/p) of non-negative terms: the smooth maximum of limits that overlap partly.
double smooth_max(const double* x, int n, double p);

// How `blocks` blocks of `warps` warps spread over the SMs when `blocks_per_sm` fit at once: the
// busiest SM runs `on_sm` = ceil(blocks / SMs) of them, `conc` at a time, in `rounds`. Also sets
// the prediction's waves and wave efficiency.
struct BlockRounds {
  double blocks, on_sm, conc, rounds, warps_on_sm;
};
BlockRounds block_rounds(double blocks, double sms, int blocks_per_sm, int warps, Prediction& r);

// A limit's time and the bound it stands for.
struct Limit {
  double time_s;
  Bound bound;
};

// The bound a prediction reports: `hbm_s` unless one of `others` (in order, a later one only when
// strictly larger than all before it) takes more time.
Bound largest_bound(double hbm_s, std::initializer_list<Limit> others);

}  // namespace vqt::detail
