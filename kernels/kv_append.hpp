// Appending one new token's K and V to a CQ-compressed KV cache on the device: each v-channel
// vector of each (sequence, kv head, channel group) is quantized to its nearest codebook entry
// (squared L2 distance in fp32; ties go to the lowest index) and the 8-bit code is written at
// token `position` of the device layout (kernels/attention_layout.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/attention_decode.hpp"

namespace vqt {

// k_new, v_new: fp16 [batch][kv_heads][head_dim]. codes_k / codes_v: the cache's code buffers
// (written), codebooks read from `kv`. Needs head_dim 128, vec_size 2 or 4 and
// position < capacity (returns cudaErrorInvalidValue otherwise). After it, attend with
// context = position + 1.
cudaError_t kv_append_cq(const AttentionShape& s, std::int64_t position, const std::uint16_t* k_new,
                         const std::uint16_t* v_new, std::uint8_t* codes_k, std::uint8_t* codes_v,
                         const CqKvView& kv, cudaStream_t stream);

}  // namespace vqt
