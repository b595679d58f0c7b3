// CPU references with fp64 accumulation: what every GPU kernel is checked against.
// Activations and outputs are row-major. W is a VqTensor of rows = n, cols = k.
#pragma once

#include <cstdint>
#include <vector>

#include "vq/kv_cache.hpp"
#include "vq/vq_tensor.hpp"

namespace vqt {

// W as fp32 [rows][cols].
std::vector<float> dequantize(const VqTensor& w);

// y[m][n] = sum_k x[m][k] * W[n][k], accumulated in fp64. x has m * w.cols elements.
std::vector<double> reference_gemm(const VqTensor& w, const float* x, std::int64_t m);

// gemv is gemm with m = batch (1..16); kept as its own name for the tests' readability.
inline std::vector<double> reference_gemv(const VqTensor& w, const float* x, std::int64_t batch) {
  return reference_gemm(w, x, batch);
}

// Decode attention over a VQ-compressed KV cache: one query token per sequence.
//   q    float  [batch][q_heads][head_dim]
//   out  double [batch][q_heads][head_dim]
// out[b][h] = sum_t softmax_t(scale * q[b][h] . K[b][kv][t]) * V[b][kv][t] with kv = h / (q_heads /
// kv_heads) (grouped-query attention), K and V decoded from the cache as dequantize_kv() does,
// dot products, the max-subtracted softmax and the weighted sum all in fp64. Throws InputError if
// q_heads is not a positive multiple of kv.kv_heads.
std::vector<double> reference_attention_decode(const float* q, std::int64_t q_heads,
                                               const KvCacheVq& kv, double scale);

}  // namespace vqt
