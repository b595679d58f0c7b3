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

// Counts the indices of a tensor (stored-table rows for lattice configs).
IndexHistogram histogram_of(const VqTensor& t);

}  // namespace vqt
