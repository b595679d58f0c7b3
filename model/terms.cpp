#include "model/terms.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace vqt {

TierFractions tier_fractions(const double* cdf, std::int64_t entries, std::int64_t n_reg,
                             std::int64_t n_smem) {
  auto at = [&](std::int64_t n) -> double {
    if (n <= 0) return 0.0;
    if (n >= entries) return 1.0;
    return cdf[n - 1];
  };
  TierFractions t;
  t.reg = at(n_reg);
  const double on_chip = std::max(at(n_smem), t.reg);
  t.smem = on_chip - t.reg;
  t.global = std::max(0.0, 1.0 - on_chip);
  return t;
}

double warp_touch_probability(double f) {
  if (f <= 0) return 0.0;
  if (f >= 1) return 1.0;
  double miss = 1.0 - f;  // (1 - f)^32 by five squarings
  for (int i = 0; i < 5; ++i) miss *= miss;
  return 1.0 - miss;
}

namespace {

// E[max load] of n balls in m bins, n = 0..32, m = 1..32, from
// P(max <= t) = n! / m^n [x^n] (sum_{j<=t} x^j / j!)^m, computed once.
struct MaxLoadTable {
  std::array<std::array<double, 33>, 33> e{};  // [n][m]
  MaxLoadTable() {
    for (int m = 1; m <= 32; ++m) {
      for (int n = 0; n <= 32; ++n) {
        if (n == 0) {
          e[0][m] = 0;
          continue;
        }
        // log of n! / m^n
        double lf = 0;
        for (int i = 2; i <= n; ++i) lf += std::log(double(i));
        const double scale_log = lf - n * std::log(double(m));
        double expect = 0, prev = 0;
        for (int t = 1; t <= n; ++t) {
          // coefficient of x^n in (sum_{j<=t} x^j/j!)^m by repeated polynomial multiplication
          std::array<double, 33> poly{}, base{}, next{};
          for (int j = 0; j <= std::min(t, n); ++j) {
            double f = 1;
            for (int i = 2; i <= j; ++i) f *= i;
            base[std::size_t(j)] = 1.0 / f;
          }
          poly[0] = 1;
          for (int k = 0; k < m; ++k) {
            next.fill(0);
            for (int a = 0; a <= n; ++a)
              if (poly[std::size_t(a)] != 0)
                for (int b = 0; a + b <= n && b <= t; ++b)
                  next[std::size_t(a + b)] += poly[std::size_t(a)] * base[std::size_t(b)];
            poly = next;
          }
          const double p_le = std::min(1.0, poly[std::size_t(n)] * std::exp(scale_log));
          expect += t * (p_le - prev);
          prev = p_le;
        }
        e[std::size_t(n)][std::size_t(m)] = expect;
      }
    }
  }
};

const MaxLoadTable& max_load_table() {
  static const MaxLoadTable t;
  return t;
}

}  // namespace

double expected_max_load(double balls, int bins) {
  balls = std::clamp(balls, 0.0, 32.0);
  bins = std::clamp(bins, 1, 32);
  const auto& t = max_load_table().e;
  const int lo = int(balls);
  const int hi = std::min(32, lo + 1);
  const double w = balls - lo;
  return (1 - w) * t[std::size_t(lo)][std::size_t(bins)] +
         w * t[std::size_t(hi)][std::size_t(bins)];
}

double distinct_fraction(double lanes, double q) {
  if (lanes <= 1) return 1.0;
  const double f = 1.0 - (lanes - 1.0) * std::clamp(q, 0.0, 1.0) / 2.0;
  return std::clamp(f, 1.0 / lanes, 1.0);
}

double smem_wavefronts_per_request(int row_bytes, double active_lanes, double distinct,
                                   int copies) {
  if (active_lanes <= 0) return 0.0;
  const int width = std::clamp(row_bytes, 4, 16);               // bytes per lane per instruction
  const int instructions = std::max(1, (row_bytes + 15) / 16);  // LDS.128 per row
  const int phases = std::max(1, 32 * width / 128);             // 128 bytes per wavefront
  const int slots = 128 / width;                                // bank slots of one row width
  const double lanes_per_phase = std::min(32.0, active_lanes) / phases;
  copies = std::clamp(copies, 1, slots);
  // Lanes of one copy's group in a phase, counting only distinct entries (broadcasts are free).
  const double group_lanes = lanes_per_phase * distinct / copies;
  const double load = std::max(1.0, expected_max_load(group_lanes, slots / copies));
  return double(instructions) * phases * load;
}

double cache_hit_fraction(const double* cdf, std::int64_t entries, std::int64_t first,
                          double capacity_entries) {
  if (first >= entries) return 1.0;
  const double before = first > 0 ? cdf[first - 1] : 0.0;
  const double rest = 1.0 - before;
  if (rest <= 1e-15) return 1.0;
  if (capacity_entries < 1) return 0.0;
  const double cap = std::min(capacity_entries, double(entries - first));
  const auto last = first + std::int64_t(cap) - 1;
  const double upto = last >= entries - 1 ? 1.0 : cdf[last];
  return std::clamp((upto - before) / rest, 0.0, 1.0);
}

double wave_efficiency(std::int64_t blocks, std::int64_t slots) {
  if (blocks <= 0 || slots <= 0) return 0.0;
  const std::int64_t waves = (blocks + slots - 1) / slots;
  return double(blocks) / double(waves * slots);
}

double bandwidth_wave_factor(double wave_eff, double saturation) {
  if (wave_eff <= 0) return 1e30;
  return std::max(1.0, saturation / wave_eff);
}

double little_bandwidth(double warps, double bytes_in_flight_per_warp, double latency_s) {
  return warps * bytes_in_flight_per_warp / latency_s;
}

double level_time_s(double bytes, double bw_bytes_per_s, double efficiency) {
  return bytes / (bw_bytes_per_s * efficiency);
}

double lookup_latency_s(double requests_per_warp, double l1_hit, double l2_hit, double l1_latency_s,
                        double l2_latency_s, double hbm_latency_s, double in_flight) {
  const double mean =
      l1_hit * l1_latency_s + (1 - l1_hit) * (l2_hit * l2_latency_s + (1 - l2_hit) * hbm_latency_s);
  return requests_per_warp * mean / in_flight;
}

int regs_per_thread(int base_regs, int n_reg, int vec_size, int codebooks_per_thread) {
  const int regs_per_entry = std::max(1, vec_size / 2);
  const int r = base_regs + n_reg * regs_per_entry * codebooks_per_thread;
  return (r + 7) / 8 * 8;
}

double reg_select_ops(int n_reg, int vec_size, double ops_per_level) {
  if (n_reg <= 0) return 0.0;
  int levels = 0;
  while ((1 << levels) < n_reg) ++levels;
  return double(std::max(1, levels)) * std::max(1, vec_size / 2) * ops_per_level;
}

double reduction_bytes(double outputs, int splits) {
  if (splits <= 1) return 0.0;
  return outputs * 4.0 * 2.0 * splits;
}

double fill_exposed_s(double fill_bytes_per_block, int blocks_per_sm, double waves, int sm_count,
                      double l2_bw_bytes_per_s, double exposed_fraction) {
  if (fill_bytes_per_block <= 0 || blocks_per_sm <= 0 || waves <= 0) return 0.0;
  const double per_sm_bw = l2_bw_bytes_per_s / sm_count;
  const double first_wave = fill_bytes_per_block * blocks_per_sm / per_sm_bw;  // all at once
  const double later = (waves - 1.0) * fill_bytes_per_block / per_sm_bw;       // staggered
  return (first_wave + std::max(0.0, later)) * exposed_fraction;
}

double launch_time_s(int kernels, double launch_overhead_s, double overlap) {
  return kernels * launch_overhead_s * (1.0 - overlap);
}

}  // namespace vqt
