#include "vq/packing.hpp"

#include <string>

#include "vq/error.hpp"

namespace vqt {

static void check_bits(int bits) {
  if (bits < 1 || bits > 16)
    throw InputError("index packing: bits=" + std::to_string(bits) + " must be in 1..16");
}

std::vector<std::uint8_t> pack_indices(const std::uint16_t* indices, std::int64_t count, int bits) {
  check_bits(bits);
  if (count < 0) throw InputError("index packing: negative count");
  std::vector<std::uint8_t> out(std::size_t(packed_bytes(count, bits)), 0);
  const std::uint32_t limit = std::uint32_t{1} << bits;
  std::uint64_t acc = 0;  // pending bits, LSB = next stream bit
  int have = 0;
  std::size_t pos = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint32_t x = indices[i];
    if (x >= limit)
      throw InputError("index packing: index " + std::to_string(x) + " at position " +
                       std::to_string(i) + " does not fit in " + std::to_string(bits) + " bits");
    acc |= std::uint64_t(x) << have;
    have += bits;
    while (have >= 8) {
      out[pos++] = std::uint8_t(acc & 0xFFu);
      acc >>= 8;
      have -= 8;
    }
  }
  if (have > 0) out[pos++] = std::uint8_t(acc & 0xFFu);
  return out;
}

std::vector<std::uint16_t> unpack_indices(const std::uint8_t* stream, std::int64_t stream_bytes,
                                          std::int64_t count, int bits) {
  check_bits(bits);
  if (count < 0) throw InputError("index unpacking: negative count");
  if (stream_bytes < packed_bytes(count, bits))
    throw InputError("index unpacking: " + std::to_string(count) + " indices of " +
                     std::to_string(bits) + " bits need " +
                     std::to_string(packed_bytes(count, bits)) + " bytes, stream has " +
                     std::to_string(stream_bytes));
  std::vector<std::uint16_t> out(static_cast<std::size_t>(count));
  const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
  std::uint64_t acc = 0;
  int have = 0;
  std::size_t pos = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    while (have < bits) {
      acc |= std::uint64_t(stream[pos++]) << have;
      have += 8;
    }
    out[std::size_t(i)] = std::uint16_t(acc & mask);
    acc >>= bits;
    have -= bits;
  }
  return out;
}

std::uint16_t packed_index(const std::uint8_t* stream, std::int64_t i, int bits) {
  check_bits(bits);
  const std::int64_t bit = i * bits;
  const std::int64_t first = bit / 8;
  const std::int64_t last = (bit + bits - 1) / 8;  // at most 3 bytes for bits <= 16
  std::uint32_t w = 0;
  for (std::int64_t k = first; k <= last; ++k) w |= std::uint32_t(stream[k]) << (8 * (k - first));
  return std::uint16_t((w >> (bit % 8)) & ((1u << bits) - 1u));
}

}  // namespace vqt
