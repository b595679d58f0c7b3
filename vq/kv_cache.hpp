// KvCacheVq: a KV cache compressed per attention head x channel group (Coupled Quantization, CQ):
// each group of `channel_group` consecutive channels of each KV head has its own codebooks, keys
// and values separately. cq-4 = VQ<2,8,1> and cq-2 = VQ<4,8,1> with channel_group = v.
//
// Shape: batch x kv_heads x context x head_dim (head-major, as decode kernels read it).
// Config: scope per_head_group, channel_group a multiple of v dividing head_dim, b <= 8 (codes are
// bytes), r = 1..4 residual levels, no lattice.
//
// Layouts (row-major):
//   k_codes, v_codes          uint8 [batch][kv_heads][context][head_dim / v][r]
//   k_codebooks, v_codebooks  float [kv_heads][head_dim / channel_group][r][2^b][v]
// Vector (b, h, t, g) holds channels [g*v, g*v + v) of token t; it decodes with the codebooks of
// (h, g*v / channel_group), summing its r codewords in level order (fp32). With r = 1 and
// channel_group = v the codebooks are [kv_heads][head_dim / v][2^b][v].
#pragma once

#include <cstdint>
#include <vector>

#include "vq/histogram.hpp"
#include "vq/quantizer.hpp"
#include "vq/vq_config.hpp"

namespace vqt {

struct KvCacheVq {
  VqConfig config;
  std::int64_t batch = 0, kv_heads = 0, context = 0, head_dim = 0;
  std::vector<std::uint8_t> k_codes, v_codes;
  std::vector<float> k_codebooks, v_codebooks;

  std::int64_t groups() const { return head_dim / config.vec_size; }  // vectors per token
  std::int64_t codebooks_per_head() const { return head_dim / config.channel_group; }
  std::uint8_t code(bool keys, std::int64_t b, std::int64_t h, std::int64_t t, std::int64_t g,
                    int level) const {
    const auto& c = keys ? k_codes : v_codes;
    return c[std::size_t((((b * kv_heads + h) * context + t) * groups() + g) * config.residuals +
                         level)];
  }
  // First element of entry `entry` of the codebook of (head, channel group, level).
  const float* entry_ptr(bool keys, std::int64_t h, std::int64_t cg, int level,
                         std::int64_t entry) const {
    const auto& cb = keys ? k_codebooks : v_codebooks;
    return cb.data() +
           (((h * codebooks_per_head() + cg) * config.residuals + level) * config.entries() +
            entry) *
               config.vec_size;
  }
  // Throws InputError if config, shape and array sizes disagree.
  void check_consistent() const;
};

// Throws InputError unless `config` can compress a KV cache with this head_dim (see above).
void check_kv_config(const VqConfig& config, std::int64_t head_dim);

// Quantizes keys and values, each float [batch][kv_heads][context][head_dim]: residual k-means
// per (head, channel group), trained on all batch x context tokens of that head (sampled to at
// most opt.max_train_vectors vectors). Deterministic for opt.seed.
KvCacheVq quantize_kv_cache(const VqConfig& config, const float* k, const float* v,
                            std::int64_t batch, std::int64_t kv_heads, std::int64_t context,
                            std::int64_t head_dim, const QuantizeOptions& opt = {});

// K or V codes widened to uint16, same order [batch][kv_heads][context][head_dim / v][r]: with
// r = 1 this is the plain CQ code layout kernels/attention_layout.hpp packs for the device.
std::vector<std::uint16_t> kv_codes_u16(const KvCacheVq& kv, bool keys);

// Keys (keys = true) or values as float [batch][kv_heads][context][head_dim].
std::vector<float> dequantize_kv(const KvCacheVq& kv, bool keys);

// Index histogram of the key and value codes together (levels = r, entries = 2^b), summed over
// heads and groups; call reorder_kv_hottest_first() first for a rank histogram.
IndexHistogram kv_histogram(const KvCacheVq& kv);

// Frequency reordering per (K or V, head, channel group, level); dequantized values unchanged.
void reorder_kv_hottest_first(KvCacheVq& kv);

}  // namespace vqt
