// VqConfig: the VQ<v, b, r> tensor format plus the codebook scope, and the named presets.
//
//   v  vector size (elements per code), a power of two 1..16
//   b  index bits, 1..16: 2^b entries per codebook
//   r  residual (additive) levels, 1..4: a vector is the sum of r looked-up entries
//   bits per element = b * r / v (codes only; codebooks are counted separately)
//
// Scope says which codebook a vector uses:
//   per_tensor      one codebook per tensor and residual level (QuiP#, AQLM)
//   per_tile        one per tile_rows x tile_cols tile of the weight matrix (GPTVQ)
//   per_head_group  one per attention head and group of `channel_group` channels (CQ, KV cache)
//
// A "lattice" config (quip#-4) stores a small table of `lattice_entries` base vectors and derives
// the other 2^b codewords from it (signs and a shift, as QuIP#'s E8P codebook does), so the table a
// kernel must keep on chip has lattice_entries rows although the index has b bits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vqt {

enum class Scope { per_tensor, per_tile, per_head_group };

const char* to_string(Scope s);

struct VqConfig {
  int vec_size = 8;    // v
  int index_bits = 8;  // b
  int residuals = 1;   // r
  Scope scope = Scope::per_tensor;
  int tile_rows = 0;        // per_tile: rows (output features) per codebook tile
  int tile_cols = 0;        // per_tile: columns (input features) per codebook tile
  int channel_group = 0;    // per_head_group: channels of head_dim sharing one codebook
  int lattice_entries = 0;  // > 0: lattice table with this many stored rows (see above)
  std::string name;         // preset name, or the explicit spelling "vq:v,b,r"

  // Throws InputError naming the first violated rule.
  void validate() const;

  double bits_per_element() const { return double(index_bits) * residuals / vec_size; }
  std::int64_t entries() const { return std::int64_t{1} << index_bits; }
  // Rows a kernel must hold to decode one level: the lattice table or all 2^b entries.
  std::int64_t stored_entries() const { return lattice_entries > 0 ? lattice_entries : entries(); }
  // Bytes of one codebook (one level, one scope instance) with `elem_bytes` per element (fp16: 2).
  std::int64_t codebook_bytes(int elem_bytes = 2) const {
    return stored_entries() * vec_size * elem_bytes;
  }
  // Bytes of all levels of one scope instance.
  std::int64_t codebook_bytes_all_levels(int elem_bytes = 2) const {
    return codebook_bytes(elem_bytes) * residuals;
  }
  // Human spelling: "quip#-4 = VQ<8,16,2> per_tensor" or "VQ<4,8,1> per_tile 256x256".
  std::string describe() const;
  // Canonical machine key, stable across versions (used in DB rows): "v8b12r2:per_tensor".
  std::string key() const;
};

bool operator==(const VqConfig& a, const VqConfig& b);

struct VqPreset {
  std::string name;
  VqConfig config;
  std::string origin;  // which published method it follows, with the source
};

// The named presets of DESIGN.md; their names are part of the interface.
const std::vector<VqPreset>& vq_presets();

// Accepts a preset name or "vq:v,b,r" (optionally "vq:v,b,r:tile=RxC" or ":group=G").
// Throws InputError naming `flag` and listing what is accepted.
VqConfig parse_vq(const std::string& text, const std::string& flag = "--vq");

}  // namespace vqt
