#include "model/detail/combine.hpp"

#include <algorithm>

namespace vqt::detail {

double smooth_max(const double* x, int n, double p) {
  double top = 0;
  for (int i = 0; i < n; ++i) top = std::max(top, x[i]);
  if (top <= 0) return 0.0;
  double s = 0;
  for (int i = 0; i < n; ++i) s += std::pow(x[i] / top, p);
  return top * std::pow(s, 1.0 / p);
}

BlockRounds block_rounds(double blocks, double sms, int blocks_per_sm, int warps, Prediction& r) {
  BlockRounds b{};
  b.blocks = blocks;
  b.on_sm = ceil_ratio(blocks, sms);
  b.conc = std::min(double(std::max(1, blocks_per_sm)), b.on_sm);
  b.rounds = ceil_ratio(b.on_sm, b.conc);
  b.warps_on_sm = b.conc * warps;
  r.waves = ceil_ratio(blocks, sms * std::max(1, blocks_per_sm));
  r.wave_eff = blocks / (b.on_sm * sms);
  return b;
}

Bound largest_bound(double hbm_s, std::initializer_list<Limit> others) {
  Bound bound = Bound::hbm;
  double top = hbm_s;
  for (const Limit& l : others)
    if (l.time_s > top) {
      top = l.time_s;
      bound = l.bound;
    }
  return bound;
}

}  // namespace vqt::detail
