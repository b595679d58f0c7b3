// Device layout of a VQ weight matrix for the fused GEMV, and the host packer that builds it from
// a VqTensor.
//
// Codes are split into two planes so that every lane issues 16-byte (lo) and 8/16-byte (hi)
// coalesced loads and 9..12-bit codes cost 12 bits, not 16 (aqlm-3):
//   lo  uint8  [row_tiles][chunks][32 lanes][16]              low 8 bits of each code
//   hi         [row_tiles][chunks][32 lanes][hi_bits * 2 B]    hi_bits = 4: 16 nibbles (8 B),
//                                                              hi_bits = 8: 16 bytes
// row_tiles = ceil(rows / 16) (missing rows are packed as code 0 and never written out),
// chunks = cols / chunk_k; code slot q of a lane is gemv_code_slot() (gemv_geometry.hpp).
// Codebooks: fp16 [instances][r][stored][v], the VqTensor's order (hottest first is the
// quantizer's reordering; the kernels rely on it only for speed, never for correctness).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/gemv_geometry.hpp"
#include "kernels/gemv_params.hpp"
#include "vq/vq_tensor.hpp"

namespace vqt {

struct GemvLayout {
  GemvGeometry geo;
  std::int64_t row_tiles = 0;
  std::int64_t chunks = 0;
  std::size_t lo_bytes = 0;
  std::size_t hi_bytes = 0;
  std::size_t codebook_bytes = 0;                                      // fp16
  std::size_t compulsory_bytes(int batch, const GemvFormat& f) const;  // codes + cb + x + y
};

// Sizes of the device buffers; assumes can_implement-level checks (v in 2,4,8; r in 1,2; cols a
// multiple of chunk_k) and throws InputError otherwise.
GemvLayout gemv_layout(const GemvFormat& f);

// The GemvFormat of a VqTensor; throws InputError with the reason for configs the GEMV does not
// take (v not 2/4/8, b outside 8..16, r outside 1..2, per_head_group scope, lattice not v8/b16).
GemvFormat gemv_format_of(const VqTensor& w);

struct GemvHostPack {
  GemvFormat format;
  GemvLayout layout;
  std::vector<std::uint8_t> lo, hi;
  std::vector<std::uint16_t> codebooks;  // fp16 bits
};

GemvHostPack pack_for_gemv(const VqTensor& w);

// Bytes of the split-k workspace of a matrix (any batch <= kGemvMaxBatch, any params).
std::size_t gemv_workspace_bytes(const GemvFormat& f);

}  // namespace vqt
