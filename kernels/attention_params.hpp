// Launch parameters and shapes of the decode-attention kernels (attention_decode.hpp): plain
// structs, no model or CUDA headers, so the tuner, the DB and CPU tests can build them.
//
// KV formats: fp16 (our flash-decoding baseline) or a CQ-compressed cache, VQ<v,8,1> per
// (kv head, channel group of v channels): cq-4 = v 2, cq-2 = v 4. Layouts:
// kernels/attention_layout.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vqt {

enum class KvFormat { fp16, cq };

// How the work of one (sequence, query head) is spread over blocks.
//   token_split        flash-decoding: the context is cut into splits of tokens_per_split
//                      tokens, each block keeps a partial (max, sum, output), a combine kernel
//                      merges them with the split softmax.
//   codebook_centric   the channel groups (where codebooks switch) are spread too: a scores
//                      kernel per (split, group slice) adds partial q.k into a workspace, then a
//                      softmax-and-V kernel per (split, group slice) reads only its slice's V
//                      codebook; a combine kernel merges the splits.
enum class AttentionDataflow { token_split, codebook_centric };

const char* to_string(AttentionDataflow d);

struct AttentionShape {
  std::int32_t batch = 1;
  std::int32_t q_heads = 32;
  std::int32_t kv_heads = 32;   // q_heads must be a multiple (grouped-query attention)
  std::int32_t head_dim = 128;  // 128 for the CQ kernels; 64 or 128 for fp16
  std::int64_t context = 0;     // cached tokens attended to (1..capacity), same for all sequences
  std::int64_t capacity = 0;    // allocated tokens per (sequence, kv head), a multiple of 16
  KvFormat format = KvFormat::fp16;
  std::int32_t vec_size = 2;  // CQ only: channels per code (2 = cq-4, 4 = cq-2); 8-bit codes
};

struct AttentionParams {
  AttentionDataflow dataflow = AttentionDataflow::token_split;
  std::int32_t threads = 512;            // per block: 256 or 512
  std::int32_t tokens_per_split = 2048;  // a multiple of 16; >= context means no combine kernel
  std::int32_t group_slices = 1;         // codebook_centric: slices of the channel groups (1, 2, 4)

  std::string key() const;  // "attn:token_split,t512,s2048,g1"
};

// Splits of the context for these parameters (>= 1).
inline std::int64_t attention_splits(const AttentionShape& s, const AttentionParams& p) {
  const std::int64_t per = p.tokens_per_split > 0 ? p.tokens_per_split : 1;
  return (s.context + per - 1) / per;
}

// A sensible default for `num_sms` multiprocessors: enough splits for about four blocks per SM
// (at most `max_splits`), each split a multiple of 16 tokens.
AttentionParams default_attention_params(const AttentionShape& s, int num_sms);

struct AttentionSupport {
  bool ok = false;
  std::string reason;  // why not, when !ok
  explicit operator bool() const { return ok; }
};

// Whether the kernels of attention_decode.hpp run this shape with these parameters.
AttentionSupport can_implement_attention(const AttentionShape& s, const AttentionParams& p);

// Device workspace a launch needs (split partials, codebook-centric scores); 0 when none.
std::size_t attention_workspace_bytes(const AttentionShape& s, const AttentionParams& p);

}  // namespace vqt
