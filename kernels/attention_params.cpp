// Host helpers of the decode-attention launch parameters (no CUDA).
#include "kernels/attention_params.hpp"

#include <algorithm>
#include <utility>

namespace vqt {

const char* to_string(AttentionDataflow d) {
  switch (d) {
    case AttentionDataflow::token_split:
      return "token_split";
    case AttentionDataflow::codebook_centric:
      return "codebook_centric";
  }
  return "?";
}

std::string AttentionParams::key() const {
  return std::string("attn:") + to_string(dataflow) + ",t" + std::to_string(threads) + ",s" +
         std::to_string(tokens_per_split) + ",g" + std::to_string(group_slices);
}

AttentionSupport can_implement_attention(const AttentionShape& s, const AttentionParams& p) {
  auto no = [](std::string why) { return AttentionSupport{false, std::move(why)}; };
  if (s.batch < 1 || s.batch > 65535) return no("batch must be 1..65535");
  if (s.q_heads < 1 || s.kv_heads < 1 || s.q_heads % s.kv_heads != 0)
    return no("q_heads must be a positive multiple of kv_heads");
  if (s.context < 1 || s.context > s.capacity) return no("context must be 1..capacity");
  if (s.capacity % 16 != 0) return no("capacity must be a multiple of 16 tokens");
  if (p.threads != 256 && p.threads != 512) return no("threads must be 256 or 512");
  if (p.tokens_per_split < 16 || p.tokens_per_split % 16 != 0)
    return no("tokens_per_split must be a positive multiple of 16");
  if (attention_splits(s, p) > 65535) return no("more than 65535 context splits");
  if (s.format == KvFormat::fp16) {
    if (s.head_dim != 64 && s.head_dim != 128) return no("fp16 attention needs head_dim 64 or 128");
    if (p.dataflow != AttentionDataflow::token_split)
      return no("fp16 attention has only the token_split dataflow");
    return {true, ""};
  }
  if (s.head_dim != 128) return no("CQ attention needs head_dim 128");
  if (s.vec_size != 2 && s.vec_size != 4)
    return no("CQ attention needs vec_size 2 (cq-4) or 4 (cq-2) with 8-bit codes");
  if (p.dataflow == AttentionDataflow::token_split && p.group_slices != 1)
    return no("token_split needs group_slices 1");
  if (p.dataflow == AttentionDataflow::codebook_centric)
    return no("codebook_centric dataflow is not implemented yet");
  return {true, ""};
}

std::size_t attention_workspace_bytes(const AttentionShape& s, const AttentionParams& p) {
  const std::int64_t splits = attention_splits(s, p);
  if (splits <= 1) return 0;
  return std::size_t(std::int64_t(s.batch) * s.q_heads * splits * (s.head_dim + 2)) * sizeof(float);
}

AttentionParams default_attention_params(const AttentionShape& s, int num_sms) {
  AttentionParams p;
  // fp16: small blocks, several per SM; CQ: one or two big blocks per SM (the codebooks and the
  // query x centroid table fill shared memory).
  const bool cq = s.format == KvFormat::cq;
  p.threads = cq ? 512 : 256;
  const std::int64_t blocks_per_sm = cq ? 2 : 4;
  const std::int64_t heads = std::int64_t(s.batch) * s.q_heads;
  const std::int64_t want_blocks = std::max<std::int64_t>(1, blocks_per_sm * num_sms);
  std::int64_t splits = std::max<std::int64_t>(1, (want_blocks + heads - 1) / heads);
  // A split below ~256 tokens costs more in setup (codebook, table) than it saves.
  const std::int64_t min_tokens = cq ? 512 : 256;
  splits = std::min(splits, std::max<std::int64_t>(1, s.context / min_tokens));
  std::int64_t per = (s.context + splits - 1) / splits;
  per = (per + 15) / 16 * 16;
  p.tokens_per_split = std::int32_t(std::max<std::int64_t>(16, per));
  return p;
}

}  // namespace vqt
