#include "vq/vq_tensor.hpp"

#include <string>

#include "vq/error.hpp"

namespace vqt {

std::int64_t VqTensor::instances() const {
  switch (config.scope) {
    case Scope::per_tensor:
      return 1;
    case Scope::per_tile:
      return (rows / config.tile_rows) * (cols / config.tile_cols);
    case Scope::per_head_group:
      // Columns are (head, channel) flattened: cols = heads * head_dim, so every group of
      // channel_group consecutive columns is one (head, channel group) instance.
      return cols / config.channel_group;
  }
  return 1;
}

std::int64_t VqTensor::instance_of(std::int64_t row, std::int64_t col) const {
  switch (config.scope) {
    case Scope::per_tensor:
      return 0;
    case Scope::per_tile:
      return (row / config.tile_rows) * (cols / config.tile_cols) + col / config.tile_cols;
    case Scope::per_head_group:
      return col / config.channel_group;
  }
  return 0;
}

void check_vq_shape(const VqConfig& config, std::int64_t rows, std::int64_t cols,
                    const std::string& who) {
  auto fail = [&](const std::string& msg) { throw InputError(who + ": " + msg); };
  try {
    config.validate();
  } catch (const InputError& e) {
    fail(e.what());
  }
  if (rows <= 0 || cols <= 0) fail("rows and cols must be positive");
  if (cols % config.vec_size != 0)
    fail("cols is not a multiple of v=" + std::to_string(config.vec_size));
  if (config.scope == Scope::per_tile &&
      (rows % config.tile_rows != 0 || cols % config.tile_cols != 0))
    fail("shape is not a whole number of " + std::to_string(config.tile_rows) + "x" +
         std::to_string(config.tile_cols) + " tiles");
  if (config.scope == Scope::per_head_group && cols % config.channel_group != 0)
    fail("cols is not a multiple of the channel group " + std::to_string(config.channel_group));
  if (config.lattice_entries > 0 &&
      (config.lattice_entries != 256 || config.vec_size != 8 || config.index_bits != 16))
    fail("lattice tables are supported as 256 rows, v=8, b=16 (quip#-4 layout)");
}

void VqTensor::check_consistent() const {
  const std::string who = "VQ tensor " + std::to_string(rows) + "x" + std::to_string(cols) + " (" +
                          config.describe() + ")";
  auto fail = [&](const std::string& msg) { throw InputError(who + ": " + msg); };
  check_vq_shape(config, rows, cols, who);
  const auto want_codes = std::size_t(rows * groups_per_row() * config.residuals);
  if (codes.size() != want_codes)
    fail("has " + std::to_string(codes.size()) + " codes, expected " + std::to_string(want_codes));
  const auto want_cb =
      std::size_t(instances() * config.residuals * config.stored_entries() * config.vec_size);
  if (codebooks.size() != want_cb)
    fail("has " + std::to_string(codebooks.size()) + " codebook values, expected " +
         std::to_string(want_cb));
  if (config.index_bits < 16) {
    const std::uint32_t limit = std::uint32_t{1} << config.index_bits;
    for (std::size_t i = 0; i < codes.size(); ++i)
      if (codes[i] >= limit)
        fail("code " + std::to_string(codes[i]) + " at position " + std::to_string(i) +
             " does not fit in b=" + std::to_string(config.index_bits) + " bits");
  }
}

void decode_codeword(const VqTensor& t, std::int64_t instance, int level, std::uint32_t index,
                     float* out) {
  const int v = t.config.vec_size;
  if (t.config.lattice_entries > 0) {
    const float* row = t.entry_ptr(instance, level, index & 0xFFu);
    for (int j = 0; j < v; ++j) {
      const bool negative = (index >> (8 + j)) & 1u;
      out[j] = negative ? -row[j] : row[j];
    }
    return;
  }
  const float* e = t.entry_ptr(instance, level, index);
  for (int j = 0; j < v; ++j) out[j] = e[j];
}

}  // namespace vqt
