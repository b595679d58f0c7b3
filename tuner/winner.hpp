// Picking the winner of a problem's trials, deterministically.
//
// Among the trials with status ok, the fastest median is the reference; every trial whose median
// is within the noise of it (within_noise) ties with it, and the tie goes to the smallest
// candidate key. So reruns, ranks and shards that measured the same candidates pick the same
// winner even when their timings differ by noise.
#pragma once

#include <optional>
#include <vector>

#include "tuner/strategy.hpp"

namespace vqt::tuner {

// True when medians a and b differ by no more than the noise: k times the larger absolute stdev
// (rel_stdev x median) and at least min_rel of the smaller median.
bool within_noise(double median_a, double rel_stdev_a, double median_b, double rel_stdev_b,
                  double k = 2.0, double min_rel = 0.005);

// Index of the winning trial, or nullopt when none is ok.
std::optional<std::size_t> pick_winner(const std::vector<TrialResult>& trials);

}  // namespace vqt::tuner
