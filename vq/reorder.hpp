// Frequency reordering: renumbers the entries of every codebook (each scope instance and residual
// level separately) so that entry 0 is the most looked-up one, then 1, ... (ties keep their old
// order), and rewrites the codes to match. The dequantized tensor is unchanged bit for bit: the
// same codeword values are summed in the same level order.
//
// Lattice configs: the 256 stored table rows are reordered and only the low 8 bits of each index
// (the row) are rewritten; the sign bits [15:8] are kept.
#pragma once

#include <cstdint>
#include <vector>

#include "vq/vq_tensor.hpp"

namespace vqt {

// Returns, per (instance, level) in order instance * r + level, the permutation applied:
// perm[new_entry] = old_entry.
std::vector<std::vector<std::uint32_t>> reorder_hottest_first(VqTensor& t);

}  // namespace vqt
