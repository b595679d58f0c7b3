// Shared helpers of the attention tests: random KV caches in the plain layouts and a naive fp64
// decode-attention reference (the kernels are checked against it; vq/ may grow its own later).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/attention_layout.hpp"
#include "vq/half.hpp"

namespace vqt::testing {

// fp16 bit patterns of uniform values in [-scale, scale].
inline std::vector<std::uint16_t> random_half(std::size_t n, float scale, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<std::uint16_t> out(n);
  for (auto& h : out) h = float_to_half_bits(u(rng));
  return out;
}

// Values of fp16 bit patterns as doubles.
inline std::vector<double> to_double(const std::vector<std::uint16_t>& h) {
  std::vector<double> out(h.size());
  for (std::size_t i = 0; i < h.size(); ++i) out[i] = half_bits_to_float(h[i]);
  return out;
}

// Plain CQ cache of one tensor (K or V): codebooks [kv_heads][G][256][v] (values already
// rounded to fp16) and codes [batch][kv_heads][tokens][G].
struct PlainCq {
  std::vector<float> codebooks;
  std::vector<std::uint16_t> codes;
};

inline PlainCq random_cq(int batch, int kv_heads, std::int64_t tokens, int groups, int v,
                         float scale, std::mt19937& rng) {
  PlainCq c;
  const auto cb = random_half(std::size_t(kv_heads) * groups * kCqEntries * v, scale, rng);
  c.codebooks.resize(cb.size());
  for (std::size_t i = 0; i < cb.size(); ++i) c.codebooks[i] = half_bits_to_float(cb[i]);
  std::uniform_int_distribution<int> code(0, kCqEntries - 1);
  c.codes.resize(std::size_t(batch) * kv_heads * tokens * groups);
  for (auto& x : c.codes) x = std::uint16_t(code(rng));
  return c;
}

// Dense [batch][kv_heads][tokens][head_dim] values of a plain CQ cache.
inline std::vector<double> dequantize_cq(const PlainCq& c, int batch, int kv_heads,
                                         std::int64_t tokens, int groups, int v) {
  const int d = groups * v;
  std::vector<double> out(std::size_t(batch) * kv_heads * tokens * d);
  for (std::int64_t s = 0; s < std::int64_t(batch) * kv_heads; ++s) {
    const std::int64_t h = s % kv_heads;
    for (std::int64_t t = 0; t < tokens; ++t)
      for (int g = 0; g < groups; ++g) {
        const std::uint16_t e = c.codes[std::size_t((s * tokens + t) * groups + g)];
        for (int j = 0; j < v; ++j)
          out[std::size_t((s * tokens + t) * d + g * v + j)] =
              c.codebooks[std::size_t(((h * groups + g) * kCqEntries + e) * v + j)];
      }
  }
  return out;
}

// out[b][hq][:] over dense k, v [batch][kv_heads][tokens][d] (rows of `stride` tokens), fp64.
inline std::vector<double> reference_decode(const std::vector<double>& q,
                                            const std::vector<double>& k,
                                            const std::vector<double>& v, int batch, int q_heads,
                                            int kv_heads, int d, std::int64_t context,
                                            std::int64_t stride) {
  std::vector<double> out(std::size_t(batch) * q_heads * d, 0.0);
  std::vector<double> s(static_cast<std::size_t>(context));
  const double scale = 1.0 / std::sqrt(double(d));
  for (int b = 0; b < batch; ++b)
    for (int hq = 0; hq < q_heads; ++hq) {
      const int hk = hq / (q_heads / kv_heads);
      const double* qr = q.data() + (std::size_t(b) * q_heads + hq) * d;
      const std::size_t base = (std::size_t(b) * kv_heads + hk) * std::size_t(stride) * d;
      double mx = -INFINITY;
      for (std::int64_t t = 0; t < context; ++t) {
        double acc = 0.0;
        for (int c = 0; c < d; ++c) acc += qr[c] * k[base + std::size_t(t) * d + c];
        s[std::size_t(t)] = acc * scale;
        mx = std::max(mx, s[std::size_t(t)]);
      }
      double sum = 0.0;
      for (auto& x : s) {
        x = std::exp(x - mx);
        sum += x;
      }
      double* o = out.data() + (std::size_t(b) * q_heads + hq) * d;
      for (std::int64_t t = 0; t < context; ++t)
        for (int c = 0; c < d; ++c)
          o[c] += s[std::size_t(t)] / sum * v[base + std::size_t(t) * d + c];
    }
  return out;
}

}  // namespace vqt::testing
