// IndexHistogram: how often each codebook entry is looked up, per residual level. The cost model
// turns it into the fraction of lookups served by registers / shared memory / global memory for a
// placement (entries sorted hottest first, index 0 = hottest).
//
// For lattice configs the histogram counts rows of the stored table (index & 0xFF), because that
// table is what a kernel places; for the others it counts all 2^b entries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vq/vq_config.hpp"
#include "vq/vq_tensor.hpp"

namespace vqt {

struct IndexHistogram {
  int levels = 0;
  std::int64_t entries = 0;                        // per level
  std::vector<std::vector<std::uint64_t>> counts;  // [level][entry]
  std::string source;  // where it came from: "file:PATH" or "synthetic:ROWSxCOLS:seed=S"

  std::uint64_t total(int level) const;
  // Fraction of all lookups (all levels) that hit the `n` hottest entries of their level.
  double top_mass(std::int64_t n) const;
  // Shannon entropy of one level's index distribution, in bits.
  double entropy_bits(int level) const;
  // Cumulative hit fraction after frequency sorting: cdf[i] = share of lookups to entries < i+1,
  // averaged over levels; size = entries. What the cost model reads.
  std::vector<double> sorted_cdf() const;
};

// Counts the indices of a tensor (stored-table rows for lattice configs), summed over scope
// instances. Reorder the tensor first (vq/reorder.hpp) so that entry i means "i-th hottest of its
// codebook" in every instance.
IndexHistogram histogram_of(const VqTensor& t);

// The default histogram when the user gives no VQ file (what `vqtune predict` uses): quantizes
// synthetic weights (vq/synthetic.hpp; per_head_group configs use synthetic keys, whose channels
// have outlier scales) of shape rows x cols with `config`, reorders hottest first and returns
// histogram_of() the result. To take a few seconds it quantizes a sample, never the whole shape
// when that is large: at most 1024 rows (per_tile: at most 1024x1024 worth of whole tiles), fewer
// rows when the codebook is large so that vectors x entries x v x r stays below ~3.4e10
// (aqlm-1x16: ~128 rows of 4096), with 8 Lloyd iterations on at most 64k training vectors; `source`
// says what was quantized ("synthetic:ROWSxCOLS:seed=S:sample=RxC"). For per_head_group configs
// (KV caches) rows are tokens and cols are kv_heads x head_dim (or one head's head_dim).
// Known limit: when a codebook has at least as many entries as the sample has vectors (aqlm-1x16),
// every sampled vector becomes an entry and the histogram comes out near-uniform, which is
// pessimistic for on-chip placement; `source` then ends in ":near-uniform(entries>=vectors)".
//
// With a non-empty cache_dir (created if missing) the result is cached there as a small binary
// file named after the config key, shape, seed and format version; a file that is corrupt
// (checksum), truncated or describes something else is ignored and rewritten. A cache that cannot
// be written is skipped silently (the histogram is still returned). Throws InputError if the
// shape does not fit the config.
IndexHistogram synthetic_histogram(const VqConfig& config, std::int64_t rows, std::int64_t cols,
                                   std::uint64_t seed, const std::string& cache_dir);

}  // namespace vqt
