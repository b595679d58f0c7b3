// Dense packing of b-bit indices (b = 1..16) into a little-endian bit stream.
//
// Layout: the stream is a byte array; stream bit s is bit (s % 8) of byte s / 8 (LSB first).
// Index i occupies stream bits [i*b, i*b + b), its least significant bit first. The stream is
// ceil(count * b / 8) bytes; unused high bits of the last byte are zero. Because the order is
// little-endian throughout, the same bytes read as little-endian uint32 (or uint64) words give
// the same bit positions: index i starts at bit (i*b) % 32 of word (i*b) / 32, and may straddle
// into the next word. For b = 8 and b = 16 this is plain uint8 / little-endian uint16 storage.
#pragma once

#include <cstdint>
#include <vector>

namespace vqt {

// Bytes of a stream holding `count` indices of `bits` bits.
inline std::int64_t packed_bytes(std::int64_t count, int bits) {
  return (count * bits + 7) / 8;
}

// Packs indices[0..count) (each must be < 2^bits; throws InputError otherwise, or for bits
// outside 1..16) into a fresh stream.
std::vector<std::uint8_t> pack_indices(const std::uint16_t* indices, std::int64_t count, int bits);

// Unpacks `count` indices from a stream of at least packed_bytes(count, bits) bytes (throws
// InputError if `stream_bytes` is smaller).
std::vector<std::uint16_t> unpack_indices(const std::uint8_t* stream, std::int64_t stream_bytes,
                                          std::int64_t count, int bits);

// Index i of a stream (no bounds check beyond the stream itself; for random access in tests).
std::uint16_t packed_index(const std::uint8_t* stream, std::int64_t i, int bits);

}  // namespace vqt
