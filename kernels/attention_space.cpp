// The decode-attention search space (see attention_space.hpp).
#include "kernels/attention_space.hpp"

#include <algorithm>
#include <set>

#include "kernels/gemm_attention_candidate.hpp"

namespace vqt {

std::vector<AttentionParams> attention_space(const Problem& p) {
  const AttentionShape s = attention_shape_of(p);
  std::set<std::int32_t> tokens;
  for (std::int64_t t = 128; t < s.capacity; t *= 2) tokens.insert(std::int32_t(t));
  tokens.insert(std::int32_t(s.capacity));
  tokens.insert(default_attention_params(s, 132).tokens_per_split);
  std::vector<AttentionParams> out;
  for (AttentionDataflow d : {AttentionDataflow::token_split, AttentionDataflow::codebook_centric})
    for (int threads : {256, 512})
      for (std::int32_t t : tokens)
        for (int g : {1, 2, 4}) {
          if ((d == AttentionDataflow::token_split) != (g == 1)) continue;
          AttentionParams q;
          q.dataflow = d;
          q.threads = threads;
          q.tokens_per_split = t;
          q.group_slices = g;
          if (can_implement_attention(s, q)) out.push_back(q);
        }
  return out;
}

std::vector<Candidate> attention_space_candidates(const Problem& p) {
  std::vector<Candidate> out;
  for (const AttentionParams& q : attention_space(p)) out.push_back(candidate_from(q, p));
  return out;
}

}  // namespace vqt
