// Decode attention (one new query token per sequence) over an fp16 or a CQ-compressed KV cache.
// Host API in the shape of the GEMV kernels: can_implement and workspace bytes (in
// attention_params.hpp, no CUDA needed), launch functions that take device pointers and a stream
// and return cudaError_t (never throw).
//
//   out[b][hq][:] = softmax(q[b][hq] . K[b][hk][t] / sqrt(head_dim), t < context) . V[b][hk][t]
//   with hk = hq / (q_heads / kv_heads).
// fp16 tensors travel as 16-bit patterns (uint16_t). q and out: [batch][q_heads][head_dim].
// KV layouts: kernels/attention_layout.hpp. Scores and softmax in fp32; out rounded to fp16.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "kernels/attention_params.hpp"

namespace vqt {

// A CQ KV cache on the device (layouts in attention_layout.hpp).
struct CqKvView {
  const std::uint8_t* codes_k = nullptr;
  const std::uint8_t* codes_v = nullptr;
  const std::uint16_t* codebook_k = nullptr;
  const std::uint16_t* codebook_v = nullptr;
};

// Returns cudaErrorInvalidValue if can_implement refuses or the workspace is too small.
cudaError_t attention_decode_cq(const AttentionShape& s, const AttentionParams& p,
                                const std::uint16_t* q, const CqKvView& kv, std::uint16_t* out,
                                void* workspace, std::size_t workspace_bytes, cudaStream_t stream);

cudaError_t attention_decode_fp16(const AttentionShape& s, const AttentionParams& p,
                                  const std::uint16_t* q, const std::uint16_t* k,
                                  const std::uint16_t* v, std::uint16_t* out, void* workspace,
                                  std::size_t workspace_bytes, cudaStream_t stream);

}  // namespace vqt
