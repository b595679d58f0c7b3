// VqTensor: a VQ-compressed matrix in host memory, the exchange format between the quantizer,
// safetensors files, the CPU references and the GPU kernels (which repack it for the device).
//
// A weight matrix W has `rows` (output features, n) x `cols` (input features, k). Each row is cut
// into cols / v vectors of v consecutive elements; vector (row, g) covers columns [g*v, g*v + v).
// Its value is the sum over residual levels l of the codeword selected by codes(row, g, l) from the
// codebook of that level and of the vector's scope instance.
//
// Layouts (all row-major, C order):
//   codes      uint16 [rows][cols / v][r]          one index per vector and level (b <= 16)
//   codebooks  float  [instances][r][stored][v]    stored = config.stored_entries()
// Scope instances: per_tensor 1; per_tile (rows / tile_rows) x (cols / tile_cols), instance of
// (row, col) = (row / tile_rows) * (cols / tile_cols) + col / tile_cols; per_head_group: columns
// are (head, channel) flattened (cols = heads * head_dim), instances = cols / channel_group and
// instance of (row, col) = col / channel_group, i.e. head * (head_dim / group) + channel / group.
// (vq/kv_cache.hpp has the KV cache's own, head-major layout with the same codebook order.)
//
// Lattice configs (lattice_entries = 256, b = 16, v = 8, as quip#-4): bits [7:0] of an index pick a
// row of the stored table (magnitudes), bit 8 + j flips the sign of element j (j = 0..7). So 256
// stored rows x 256 sign patterns = 65536 codewords; see decode_codeword().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vq/vq_config.hpp"

namespace vqt {

struct VqTensor {
  VqConfig config;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::uint16_t> codes;
  std::vector<float> codebooks;

  std::int64_t groups_per_row() const { return cols / config.vec_size; }
  std::int64_t instances() const;  // scope instances (codebooks per level)
  std::int64_t instance_of(std::int64_t row, std::int64_t col) const;
  std::uint16_t code(std::int64_t row, std::int64_t group, int level) const {
    return codes[std::size_t((row * groups_per_row() + group) * config.residuals + level)];
  }
  // Pointer to the first element of stored entry `entry` of (instance, level).
  const float* entry_ptr(std::int64_t instance, int level, std::int64_t entry) const {
    return codebooks.data() +
           ((instance * config.residuals + level) * config.stored_entries() + entry) *
               config.vec_size;
  }
  // Throws InputError if sizes and config disagree (used after reading a file).
  void check_consistent() const;
};

// Throws InputError (prefixed with `who`) if a rows x cols matrix cannot be stored with config:
// the config is invalid, cols % v != 0, not whole tiles, cols % channel_group != 0, or a lattice
// table other than the supported 256 rows, v = 8, b = 16.
void check_vq_shape(const VqConfig& config, std::int64_t rows, std::int64_t cols,
                    const std::string& who);

// Writes the v values of codeword `index` of (instance, level) into out[0..v).
void decode_codeword(const VqTensor& t, std::int64_t instance, int level, std::uint32_t index,
                     float* out);

}  // namespace vqt
