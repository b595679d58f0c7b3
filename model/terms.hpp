// The cost model's terms: one small pure function per effect, each with a unit test
// (tests/model/test_terms.cpp) and a one-line statement of what it assumes. cost_model.cpp combines
// them. No function here allocates; all are cheap enough to run for every candidate.
#pragma once

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
TierFractions tier_fractions(const double* cdf, std::int64_t entries, std::int64_t n_reg,
                             std::int64_t n_smem);

// Assumes the 32 lanes of a warp look up independently: the probability that at least one lane of
// a warp request falls in a tier holding `lane_fraction` of lookups (so the warp issues that tier's
// instruction; divergence makes tiers cost per warp, not per lane).
double warp_touch_probability(double lane_fraction);

// Assumes `balls` requests land independently and uniformly in `bins` bank slots: the expected
// largest number of requests in one slot (exact, from the multinomial distribution; fractional
// `balls` interpolate linearly). balls in [0, 32], bins in [1, 32].
double expected_max_load(double balls, int bins);

// Assumes rows of `row_bytes` (v fp16 elements) stored contiguously (row e in bank slot e mod
// slots), lanes reading 16 bytes per instruction in quarter/half-warp phases of 128 bytes, lanes
// of a phase picking entries independently with `distinct_fraction` of them distinct (the rest
// broadcast), and copy j of `copies` occupying its own 1/copies slice of the banks, used by lanes
// with lane % copies == j: expected shared-memory wavefronts per warp request with `active_lanes`
// lanes taking part.
double smem_wavefronts_per_request(int row_bytes, double active_lanes, double distinct_fraction,
                                   int copies);

// Assumes lanes pick entries with the tier's probabilities, independently: the expected share of
// `lanes` lanes whose entry no other lane of the phase picked first, from the tier's collision
// probability q = sum p_i^2 / (sum p_i)^2 (first-order: 1 - (lanes - 1) q / 2, at least 1/lanes).
double distinct_fraction(double lanes, double collision_probability);

// Assumes an ideal frequency-ordered cache: global lookups go to entries >= first (hottest first);
// a cache holding `capacity_entries` rows keeps the hottest of them, so the hit share among those
// lookups is (cdf[first + capacity - 1] - cdf[first - 1]) / (1 - cdf[first - 1]).
double cache_hit_fraction(const double* cdf, std::int64_t entries, std::int64_t first,
                          double capacity_entries);

// Assumes every block takes the same time: share of block slots busy over the waves,
// blocks / (ceil(blocks / slots) x slots).
double wave_efficiency(std::int64_t blocks, std::int64_t slots);

// Assumes a bandwidth-bound level saturates once `saturation` of the slots are busy: the factor
// by which a partly filled wave stretches its time (>= 1).
double bandwidth_wave_factor(double wave_eff, double saturation);

// Assumes Little's law: the bandwidth `warps` warps sustain with `bytes_in_flight_per_warp` bytes
// outstanding each and `latency_s` round trip.
double little_bandwidth(double warps, double bytes_in_flight_per_warp, double latency_s);

// Assumes bytes move at `efficiency` x `bw_bytes_per_s`: seconds for a level.
double level_time_s(double bytes, double bw_bytes_per_s, double efficiency);

// Assumes each global lookup waits the mean latency of where it hits and a warp overlaps
// `in_flight` of them: seconds for `requests_per_warp` dependent global requests per warp.
double lookup_latency_s(double requests_per_warp, double l1_hit, double l2_hit, double l1_latency_s,
                        double l2_latency_s, double hbm_latency_s, double in_flight);

// Assumes register-resident entries are replicated in every thread as packed half2 (v/2 registers
// per entry and codebook) and ptxas rounds allocations to 8: registers per thread.
int regs_per_thread(int base_regs, int n_reg, int vec_size, int codebooks_per_thread);

// Assumes a register lookup is a binary select tree over the index bits, one select per level per
// 32-bit register of the row: CUDA-core ops per lookup (0 when n_reg = 0).
double reg_select_ops(int n_reg, int vec_size, double ops_per_level);

// Assumes split partial results (fp32) are combined by atomic adds at L2, each a read and a write:
// bytes moved at L2 by the reduction of `splits` partials of `outputs` values (0 when splits = 1).
double reduction_bytes(double outputs, int splits);

// Assumes a block stages its shared-memory codebook part from L2 before using it, with L2 bandwidth
// shared evenly by the SMs: the first wave's resident blocks all wait for their fills, later
// blocks start staggered so only their own fill is exposed: seconds exposed over `waves` waves.
double fill_exposed_s(double fill_bytes_per_block, int blocks_per_sm, double waves, int sm_count,
                      double l2_bw_bytes_per_s, double exposed_fraction);

// Assumes a fixed cost per kernel launch of which `overlap` is hidden by the previous kernel.
double launch_time_s(int kernels, double launch_overhead_s, double overlap);

}  // namespace vqt
