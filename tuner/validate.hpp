// Data and checks the measurers share (plain C++, no CUDA: the cpu tier tests them):
// deterministic test data drawn from a seed, output checks against an fp64 reference, and a fast
// fp64 reference for decode attention over a CQ cache.
//
// Data: codes drawn from a sorted CDF (Zipf over the stored entries, hottest = index 0; lattice
// configs: the 8 row bits from the law, the 8 sign bits uniform), codebooks and activations
// uniform in [-1, 1) rounded to fp16, so the GPU's fp16 inputs equal the reference's exactly.
// Large arrays are filled by several threads, each from its own seed, so the data depend only on
// the seed, never on the number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vq/kv_cache.hpp"
#include "vq/vq_tensor.hpp"

namespace vqt::tuner {

// The generators behind the measurers' data: one splitmix64 step of `state`, a double uniform in
// [0, 1) from one step (53 bits), and a float rounded to the nearest fp16.
std::uint64_t splitmix(std::uint64_t& state);
double uniform01(std::uint64_t& state);
float half_round(float f);

// Runs fn(i) for i in [0, n) on up to `threads` threads (0: the hardware's count, at most 16).
void parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& fn, int threads = 0);

// A rows x cols weight tensor in `vq` with codes drawn from `cdf` (vq.stored_entries() values,
// ascending, last 1) and random fp16 codebooks.
VqTensor zipf_weights(const VqConfig& vq, std::int64_t rows, std::int64_t cols,
                      const std::vector<double>& cdf, std::uint64_t seed);

// n values uniform in [-1, 1) rounded to fp16: as floats and as fp16 bit patterns.
void random_halves(std::size_t n, std::uint64_t seed, std::vector<float>& values,
                   std::vector<std::uint16_t>& bits);

// A CQ KV cache (config per_head_group, 8-bit codes, r = 1) of batch x kv_heads x context x
// head_dim with K and V codes drawn from `cdf` (256 values) and random fp16 codebooks.
KvCacheVq zipf_kv_cache(const VqConfig& cq, std::int64_t batch, std::int64_t kv_heads,
                        std::int64_t context, std::int64_t head_dim, const std::vector<double>& cdf,
                        std::uint64_t seed);

// Decode attention over a CQ cache (r = 1, channel_group = v), fp64 throughout, the same result as
// vq/reference's reference_attention_decode up to rounding (scores as sums of per-group q x
// codeword tables, the weighted V sum per codeword): linear in context x groups instead of
// context x head_dim, and without the dense K and V, so a batch-16 4096-token problem takes a
// fraction of a second. q: float [batch][q_heads][head_dim]; out [batch][q_heads][head_dim].
std::vector<double> reference_cq_attention(const float* q, std::int64_t q_heads,
                                           const KvCacheVq& kv, double scale);

struct OutputCheck {
  bool ok = false;
  double rel_error = 0;  // relative L2 error ||y - ref|| / ||ref||
  bool finite = true;
  std::string detail;  // what failed, for the trial's detail
};

// Compares fp16 outputs with the reference: ok when every output is finite and the relative L2
// error is at most max_rel. `count` values from y[y_index[i]] against ref[i] (y_index empty: the
// identity).
OutputCheck check_half_output(const std::uint16_t* y, const std::vector<double>& ref,
                              double max_rel, const std::vector<std::size_t>& y_index = {});

// The tokens (rows of x) a GEMM check samples: min(m, count) of them spread over [0, m) so that
// every run of m / count tokens has one, the last token always among them; ascending.
std::vector<std::int64_t> sampled_tokens(std::int64_t m, std::int64_t count = 16);

}  // namespace vqt::tuner
