#include "vq/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "vq/error.hpp"

namespace vqt {

std::uint64_t IndexHistogram::total(int level) const {
  std::uint64_t s = 0;
  for (auto c : counts.at(std::size_t(level))) s += c;
  return s;
}

static std::vector<std::uint64_t> sorted_desc(const std::vector<std::uint64_t>& c) {
  std::vector<std::uint64_t> s = c;
  std::sort(s.begin(), s.end(), std::greater<std::uint64_t>());
  return s;
}

double IndexHistogram::top_mass(std::int64_t n) const {
  std::uint64_t hit = 0, all = 0;
  for (const auto& level : counts) {
    const auto s = sorted_desc(level);
    const auto take = std::size_t(std::clamp<std::int64_t>(n, 0, std::int64_t(s.size())));
    for (std::size_t i = 0; i < s.size(); ++i) {
      all += s[i];
      if (i < take) hit += s[i];
    }
  }
  return all == 0 ? 0.0 : double(hit) / double(all);
}

double IndexHistogram::entropy_bits(int level) const {
  const auto& c = counts.at(std::size_t(level));
  const double t = double(total(level));
  if (t == 0) return 0.0;
  double h = 0;
  for (auto x : c)
    if (x) {
      const double p = double(x) / t;
      h -= p * std::log2(p);
    }
  return h;
}

std::vector<double> IndexHistogram::sorted_cdf() const {
  std::vector<double> cdf(std::size_t(entries), 0.0);
  int used = 0;
  for (const auto& level : counts) {
    const auto s = sorted_desc(level);
    double t = 0;
    for (auto x : s) t += double(x);
    if (t == 0) continue;
    ++used;
    double run = 0;
    for (std::size_t i = 0; i < cdf.size() && i < s.size(); ++i) {
      run += double(s[i]);
      cdf[i] += run / t;
    }
    for (std::size_t i = s.size(); i < cdf.size(); ++i) cdf[i] += 1.0;
  }
  if (used == 0) return cdf;
  for (auto& x : cdf) x /= used;
  return cdf;
}

IndexHistogram histogram_of(const VqTensor& t) {
  IndexHistogram h;
  h.levels = t.config.residuals;
  h.entries = t.config.stored_entries();
  const std::uint32_t mask = t.config.lattice_entries > 0 ? 0xFFu : 0xFFFFu;
  h.counts.assign(std::size_t(h.levels), std::vector<std::uint64_t>(std::size_t(h.entries), 0));
  const auto r = std::size_t(h.levels);
  for (std::size_t i = 0; i < t.codes.size(); ++i) {
    const std::uint32_t e = t.codes[i] & mask;
    if (e >= std::uint32_t(h.entries))
      throw InputError("histogram_of: code " + std::to_string(e) + " beyond " +
                       std::to_string(h.entries) + " entries");
    ++h.counts[i % r][e];
  }
  return h;
}

}  // namespace vqt
