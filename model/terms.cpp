#include "model/terms.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace vqt {

namespace {

// Max load of n balls in m bins, n = 0..32, m = 1..32, from
// P(max <= t) = n! / m^n [x^n] (sum_{j<=t} x^j / j!)^m, computed once: the distribution
// (p_le[n][m][t] = P(max <= t), t = 0..32) and its expectation e[n][m].
struct MaxLoadTable {
  std::array<std::array<double, 33>, 33> e{};                     // [n][m]
  std::array<std::array<std::array<double, 33>, 33>, 33> p_le{};  // [n][m][t]
  MaxLoadTable() {
    for (int m = 1; m <= 32; ++m) {
      for (int n = 0; n <= 32; ++n) {
        auto& cdf = p_le[std::size_t(n)][std::size_t(m)];
        cdf.fill(1.0);
        if (n == 0) {
          e[0][std::size_t(m)] = 0;
          continue;
        }
        cdf[0] = 0;
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
          const double p = std::min(1.0, poly[std::size_t(n)] * std::exp(scale_log));
          cdf[std::size_t(t)] = p;
          expect += t * (p - prev);
          prev = p;
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

double expected_max_load_of_groups(double balls, int bins, int groups) {
  if (groups <= 1) return expected_max_load(balls, bins);
  balls = std::clamp(balls, 0.0, 32.0);
  bins = std::clamp(bins, 1, 32);
  groups = std::min(groups, 32);
  // E[max of k iid] = sum_t P(max > t) = sum_t (1 - P(one <= t)^k), per integer ball count.
  auto of = [&](int n) {
    const auto& cdf = max_load_table().p_le[std::size_t(n)][std::size_t(bins)];
    double e = 0;
    for (int t = 0; t < n; ++t) e += 1.0 - std::pow(cdf[std::size_t(t)], groups);
    return e;
  };
  const int lo = int(balls);
  const int hi = std::min(32, lo + 1);
  const double w = balls - lo;
  return (1 - w) * of(lo) + w * of(hi);
}

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

}  // namespace vqt
