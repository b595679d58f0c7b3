#include "tuner/winner.hpp"

#include <algorithm>
#include <cmath>

namespace vqt::tuner {

bool within_noise(double median_a, double rel_stdev_a, double median_b, double rel_stdev_b,
                  double k, double min_rel) {
  const double noise = std::max({k * rel_stdev_a * median_a, k * rel_stdev_b * median_b,
                                 min_rel * std::min(median_a, median_b)});
  return std::fabs(median_a - median_b) <= noise;
}

std::optional<std::size_t> pick_winner(const std::vector<TrialResult>& trials) {
  std::optional<std::size_t> fastest;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    if (t.status != db::Status::ok || !(t.median_s > 0)) continue;
    if (!fastest || t.median_s < trials[*fastest].median_s) fastest = i;
  }
  if (!fastest) return std::nullopt;
  const TrialResult& best = trials[*fastest];
  std::optional<std::size_t> win;
  std::string win_key;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    if (t.status != db::Status::ok || !(t.median_s > 0)) continue;
    if (!within_noise(best.median_s, best.rel_stdev, t.median_s, t.rel_stdev)) continue;
    const std::string key = t.candidate.key();
    if (!win || key < win_key) {
      win = i;
      win_key = key;
    }
  }
  return win;
}

}  // namespace vqt::tuner
