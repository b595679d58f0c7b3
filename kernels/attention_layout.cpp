// Host repackers between the plain and the device layouts of the CQ KV cache.
#include "kernels/attention_layout.hpp"

#include "vq/error.hpp"
#include "vq/half.hpp"

namespace vqt {

std::vector<std::uint8_t> pack_cq_codes(const std::uint16_t* codes, std::int64_t batch,
                                        std::int64_t kv_heads, std::int64_t tokens,
                                        std::int64_t groups, std::int64_t capacity,
                                        std::uint8_t fill) {
  if (capacity % kCqTileTokens != 0 || tokens > capacity)
    throw InputError("pack_cq_codes: capacity must be a multiple of 16 and >= tokens");
  std::vector<std::uint8_t> out(std::size_t(batch * kv_heads * capacity * groups), fill);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t h = 0; h < kv_heads; ++h)
      for (std::int64_t t = 0; t < tokens; ++t)
        for (std::int64_t g = 0; g < groups; ++g) {
          const std::uint16_t c = codes[((b * kv_heads + h) * tokens + t) * groups + g];
          if (c >= kCqEntries) throw InputError("pack_cq_codes: code >= 256 (cq uses 8-bit codes)");
          out[std::size_t(cq_code_offset(b, h, t, g, kv_heads, capacity, groups))] =
              std::uint8_t(c);
        }
  return out;
}

std::vector<std::uint16_t> unpack_cq_codes(const std::uint8_t* packed, std::int64_t batch,
                                           std::int64_t kv_heads, std::int64_t tokens,
                                           std::int64_t groups, std::int64_t capacity) {
  std::vector<std::uint16_t> out(std::size_t(batch * kv_heads * tokens * groups));
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t h = 0; h < kv_heads; ++h)
      for (std::int64_t t = 0; t < tokens; ++t)
        for (std::int64_t g = 0; g < groups; ++g)
          out[std::size_t(((b * kv_heads + h) * tokens + t) * groups + g)] =
              packed[cq_code_offset(b, h, t, g, kv_heads, capacity, groups)];
  return out;
}

std::vector<std::uint16_t> pack_cq_codebooks(const float* codebooks, std::int64_t kv_heads,
                                             std::int64_t groups, int vec_size) {
  std::vector<std::uint16_t> out(std::size_t(kv_heads * groups * kCqEntries * vec_size));
  for (std::int64_t h = 0; h < kv_heads; ++h)
    for (std::int64_t g = 0; g < groups; ++g)
      for (std::int64_t e = 0; e < kCqEntries; ++e)
        for (int j = 0; j < vec_size; ++j)
          out[std::size_t(((h * kCqEntries + e) * groups + g) * vec_size + j)] =
              float_to_half_bits(codebooks[((h * groups + g) * kCqEntries + e) * vec_size + j]);
  return out;
}

}  // namespace vqt
