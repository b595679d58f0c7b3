// The cost model's terms: one small pure function per effect, each with a unit test
// (tests/model/test_terms.cpp) and a one-line statement of what it assumes. cost_model.cpp combines
// them. No function here allocates; the small ones are inline so predict() can inline them.
#pragma once

#include <algorithm>
#include <cstdint>

namespace vqt {

// Fraction of codebook lookups served by each placement tier.
struct TierFractions {
  double reg = 0;
  double smem = 0;
  double global = 0;
};

// Assumes entries sorted hottest first and cdf[i] = share of lookups to entries 0..i (size
// `entries`): registers serve cdf[n_reg-1], shared memory cdf[n_smem-1] minus that, global the
// rest.
inline TierFractions tier_fractions(const double* cdf, std::int64_t entries, std::int64_t n_reg,
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

// Assumes the 32 lanes of a warp look up independently: the probability that at least one lane of
// a warp request falls in a tier holding `lane_fraction` of lookups (so the warp issues that tier's
// instruction; divergence makes tiers cost per warp, not per lane).
inline double warp_touch_probability(double f) {
  if (f <= 0) return 0.0;
  if (f >= 1) return 1.0;
  double miss = 1.0 - f;  // (1 - f)^32 by five squarings
  for (int i = 0; i < 5; ++i) miss *= miss;
  return 1.0 - miss;
}

// Assumes `balls` requests land independently and uniformly in `bins` bank slots: the expected
// largest number of requests in one slot (exact, from the multinomial distribution; fractional
// `balls` interpolate linearly). balls in [0, 32], bins in [1, 32].
double expected_max_load(double balls, int bins);

// The expected largest of the max loads of `groups` independent such placements (balls per group,
// bins per group): the wavefronts of a phase whose lanes split into groups on disjoint banks.
// groups <= 1 is expected_max_load.
double expected_max_load_of_groups(double balls, int bins, int groups);

// Assumes rows of `row_bytes` (v fp16 elements) stored contiguously (row e in bank slot e mod
// slots), lanes reading 16 bytes per instruction in quarter/half-warp phases of 128 bytes, lanes
// of a phase picking entries independently with `distinct_fraction` of them distinct (the rest
// broadcast), and copy j of `copies` occupying its own 1/copies slice of the banks, used by lanes
// with lane % copies == j (the phase waits for its most loaded group): expected shared-memory
// wavefronts per warp request with `active_lanes` lanes taking part.
inline double smem_wavefronts_per_request(int row_bytes, double active_lanes, double distinct,
                                          int copies) {
  if (active_lanes <= 0) return 0.0;
  const int width = std::clamp(row_bytes, 4, 16);               // bytes per lane per instruction
  const int instructions = std::max(1, (row_bytes + 15) / 16);  // LDS.128 per row
  const int phases = std::max(1, 32 * width / 128);             // 128 bytes per wavefront
  const int slots = 128 / width;                                // bank slots of one row width
  const double lanes_per_phase = std::min(32.0, active_lanes) / phases;
  copies = std::clamp(copies, 1, slots);
  // Lanes of one copy's group in a phase, counting only distinct entries (broadcasts are free).
  // The copies' groups sit on disjoint banks and the phase takes as many wavefronts as its most
  // loaded bank: the largest of the groups' max loads, not one group's.
  const double group_lanes = lanes_per_phase * distinct / copies;
  const double load =
      std::max(1.0, expected_max_load_of_groups(group_lanes, slots / copies, copies));
  return double(instructions) * phases * load;
}

// Assumes lanes pick entries with the tier's probabilities, independently: the expected share of
// `lanes` lanes whose entry no other lane of the phase picked first, from the tier's collision
// probability q = sum p_i^2 / (sum p_i)^2 (first-order: 1 - (lanes - 1) q / 2, at least 1/lanes).
inline double distinct_fraction(double lanes, double q) {
  if (lanes <= 1) return 1.0;
  const double f = 1.0 - (lanes - 1.0) * std::clamp(q, 0.0, 1.0) / 2.0;
  return std::clamp(f, 1.0 / lanes, 1.0);
}

// Assumes an ideal frequency-ordered cache: global lookups go to entries >= first (hottest first);
// a cache holding `capacity_entries` rows keeps the hottest of them, so the hit share among those
// lookups is (cdf[first + capacity - 1] - cdf[first - 1]) / (1 - cdf[first - 1]).
inline double cache_hit_fraction(const double* cdf, std::int64_t entries, std::int64_t first,
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

// Assumes every block takes the same time and blocks go to the `slots` units (SMs, or resident
// block slots) round-robin: share of capacity busy, blocks / (ceil(blocks / slots) x slots).
inline double wave_efficiency(std::int64_t blocks, std::int64_t slots) {
  if (blocks <= 0 || slots <= 0) return 0.0;
  const std::int64_t waves = (blocks + slots - 1) / slots;
  return double(blocks) / double(waves * slots);
}

// Assumes register-resident entries are replicated in every thread as packed half2 (v/2 registers
// per entry and codebook) and ptxas rounds allocations to 8: registers per thread.
inline int regs_per_thread(int base_regs, int n_reg, int vec_size, int codebooks_per_thread) {
  const int regs_per_entry = std::max(1, vec_size / 2);
  const int r = base_regs + n_reg * regs_per_entry * codebooks_per_thread;
  return (r + 7) / 8 * 8;
}

// Assumes split partial results (fp32) are combined by atomic adds at L2, each a read and a write:
// bytes moved at L2 by the reduction of `splits` partials of `outputs` values (0 when splits = 1).
inline double reduction_bytes(double outputs, int splits) {
  if (splits <= 1) return 0.0;
  return outputs * 4.0 * 2.0 * splits;
}

// Assumes no bank conflicts and every lane distinct or broadcast-free: the wavefronts one warp
// request of `row_bytes`-wide rows needs (16-byte loads, 128 bytes per wavefront).
inline double smem_ideal_wavefronts(int row_bytes) {
  const int width = std::clamp(row_bytes, 4, 16);
  return double(std::max(1, (row_bytes + 15) / 16) * std::max(1, 32 * width / 128));
}

}  // namespace vqt
