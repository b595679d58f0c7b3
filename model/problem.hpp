// Problem: one operation and its shape, the unit the model ranks candidates for and the tuner
// times.
//
//   gemv / gemm:       y[m x n] = x[m x k] * W^T with W (n x k) VQ-compressed along k.
//                      gemv is decode (m = batch, 1..16), gemm is prefill (m = tokens >= 32).
//   attention_decode:  one new query token per sequence; batch x q_heads queries attend over
//                      `context` cached tokens of kv_heads heads (grouped-query when q > kv),
//                      head_dim channels each; the KV cache is VQ-compressed with `vq`.
//   offload_*:         head-wise KV offloading (HeadInfer); see model/offload.hpp when it exists.
#pragma once

#include <cstdint>
#include <string>

#include "vq/vq_config.hpp"

namespace vqt {

enum class Op { gemv, gemm, attention_decode, offload_decode, offload_prefill };

const char* to_string(Op op);
// Throws InputError naming `flag` and listing the accepted ops.
Op parse_op(const std::string& text, const std::string& flag = "--op");

struct Problem {
  Op op = Op::gemv;
  VqConfig vq;
  // gemv / gemm
  std::int64_t m = 1;  // batch (gemv) or tokens (gemm)
  std::int64_t n = 0;  // output features (rows of W)
  std::int64_t k = 0;  // input features (columns of W, the quantized axis)
  // attention_decode
  std::int64_t batch = 1;
  std::int64_t q_heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t context = 0;

  // gemv / gemm: y[m x n] = x[m x k] * W^T; not validated (call validate()).
  static Problem matmul(Op op, const VqConfig& vq, std::int64_t m, std::int64_t n, std::int64_t k);
  // attention_decode over a KV cache in `vq`; not validated (call validate()).
  static Problem attention(const VqConfig& vq, std::int64_t batch, std::int64_t q_heads,
                           std::int64_t kv_heads, std::int64_t head_dim, std::int64_t context);

  // Throws InputError naming the first bad field (zero or absurd sizes, v not dividing k, ...).
  void validate() const;
  // Canonical key "gemv:m1:n11008:k4096:v8b12r2:per_tensor", stable across versions.
  std::string key() const;
  // Short human form: "gemv 11008x4096 batch 1".
  std::string describe() const;
};

}  // namespace vqt
