// Device layouts of the KV caches read by the decode-attention kernels, and host repackers from
// the plain (reference) layouts. Host-only code: no CUDA headers.
//
// fp16 cache:  half [batch][kv_heads][capacity][head_dim]      (the [B, H, T, D] of PyTorch)
// CQ cache (VQ<v,8,1> per kv head and channel group, G = head_dim / v groups, 8-bit codes):
//   codes      uint8 [batch][kv_heads][capacity / 16][G][16]   16-token tiles, group-major inside a
//              tile, so lane g of a warp reads the 16 codes of group g with one 16-byte load.
//   codebooks  half  [kv_heads][256][G][v]                     entry-major, group-minor, so a warp
//              whose lanes hold different groups reads shared memory without bank conflicts.
//   K and V have separate code and codebook buffers of these shapes.
// Plain layouts (what the CPU references use):
//   codes      uint16 [batch][kv_heads][tokens][G]
//   codebooks  float  [kv_heads][G][256][v]
#pragma once

#include <cstdint>
#include <vector>

#if defined(__CUDACC__)
#define VQT_ATTN_HD __host__ __device__
#else
#define VQT_ATTN_HD
#endif

namespace vqt {

constexpr int kCqTileTokens = 16;
constexpr int kCqEntries = 256;

// Byte offset of the code of (b, h, token t, group g) in the device code buffer.
VQT_ATTN_HD inline std::int64_t cq_code_offset(std::int64_t b, std::int64_t h, std::int64_t t,
                                               std::int64_t g, std::int64_t kv_heads,
                                               std::int64_t capacity, std::int64_t groups) {
  const std::int64_t seq = (b * kv_heads + h) * capacity * groups;
  return seq + (t / kCqTileTokens) * groups * kCqTileTokens + g * kCqTileTokens + t % kCqTileTokens;
}

// Packs plain codes [batch][kv_heads][tokens][groups] (values < 256) into the device layout with
// `capacity` >= tokens (a multiple of 16). Slots past `tokens` are filled with `fill`.
std::vector<std::uint8_t> pack_cq_codes(const std::uint16_t* codes, std::int64_t batch,
                                        std::int64_t kv_heads, std::int64_t tokens,
                                        std::int64_t groups, std::int64_t capacity,
                                        std::uint8_t fill = 0);

// Reads back codes of tokens [0, tokens) from the device layout into the plain layout.
std::vector<std::uint16_t> unpack_cq_codes(const std::uint8_t* packed, std::int64_t batch,
                                           std::int64_t kv_heads, std::int64_t tokens,
                                           std::int64_t groups, std::int64_t capacity);

// Plain codebooks [kv_heads][groups][256][v] (float) -> device layout (fp16 bit patterns).
std::vector<std::uint16_t> pack_cq_codebooks(const float* codebooks, std::int64_t kv_heads,
                                             std::int64_t groups, int vec_size);

}  // namespace vqt
