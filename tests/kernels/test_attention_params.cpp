// CPU tier: what the decode-attention host API accepts and refuses (can_implement with reasons),
// the default launch parameters, workspace sizes and the CQ cache repackers.
#include <gtest/gtest.h>

#include <random>

#include "kernels/attention_layout.hpp"
#include "kernels/attention_params.hpp"
#include "vq/error.hpp"
#include "vq/half.hpp"

namespace vqt {
namespace {

AttentionShape cq_shape() {
  AttentionShape s;
  s.batch = 8;
  s.q_heads = 32;
  s.kv_heads = 8;
  s.head_dim = 128;
  s.context = 4097;
  s.capacity = 4112;
  s.format = KvFormat::cq;
  s.vec_size = 2;
  return s;
}

TEST(AttentionParams, AcceptsTheBenchmarkShapes) {
  for (KvFormat f : {KvFormat::fp16, KvFormat::cq})
    for (int batch : {1, 8})
      for (std::int64_t ctx : {4096, 32768}) {
        AttentionShape s = cq_shape();
        s.format = f;
        s.batch = batch;
        s.kv_heads = 32;
        s.context = ctx;
        s.capacity = ctx;
        const AttentionParams p = default_attention_params(s, 132);
        const AttentionSupport ok = can_implement_attention(s, p);
        EXPECT_TRUE(ok.ok) << ok.reason;
        EXPECT_EQ(p.tokens_per_split % 16, 0);
        EXPECT_GE(p.tokens_per_split, 16);
      }
}

TEST(AttentionParams, RefusesWithAReason) {
  const AttentionParams p;
  auto refused = [&](AttentionShape s, AttentionParams pp, const char* word) {
    const AttentionSupport r = can_implement_attention(s, pp);
    EXPECT_FALSE(r.ok) << word;
    EXPECT_NE(r.reason.find(word), std::string::npos) << r.reason;
  };
  AttentionShape s = cq_shape();
  s.kv_heads = 5;
  refused(s, p, "multiple of kv_heads");
  s = cq_shape();
  s.head_dim = 64;
  refused(s, p, "head_dim 128");
  s = cq_shape();
  s.vec_size = 8;
  refused(s, p, "vec_size");
  s = cq_shape();
  s.context = s.capacity + 1;
  refused(s, p, "context");
  s = cq_shape();
  s.capacity = 4100;
  refused(s, p, "capacity");
  s = cq_shape();
  AttentionParams q = p;
  q.tokens_per_split = 40;
  refused(s, q, "tokens_per_split");
  q = p;
  q.threads = 384;
  refused(s, q, "threads");
  s.format = KvFormat::fp16;
  s.head_dim = 96;
  refused(s, p, "head_dim 64 or 128");
}

TEST(AttentionParams, WorkspaceHoldsOnePartialPerSplit) {
  AttentionShape s = cq_shape();
  AttentionParams p;
  p.tokens_per_split = 1024;
  EXPECT_EQ(attention_splits(s, p), 5);
  EXPECT_EQ(attention_workspace_bytes(s, p), std::size_t(8 * 32 * 5 * 130 * 4));
  p.tokens_per_split = 4112;
  EXPECT_EQ(attention_workspace_bytes(s, p), 0u);
}

TEST(AttentionLayout, PackUnpackRoundTripsAndTilesAreGroupMajor) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> code(0, 255);
  const int batch = 2, heads = 3, groups = 64;
  const std::int64_t tokens = 37, capacity = 48;
  std::vector<std::uint16_t> codes(std::size_t(batch * heads * tokens * groups));
  for (auto& c : codes) c = std::uint16_t(code(rng));
  const auto packed = pack_cq_codes(codes.data(), batch, heads, tokens, groups, capacity, 7);
  ASSERT_EQ(packed.size(), std::size_t(batch * heads * capacity * groups));
  EXPECT_EQ(unpack_cq_codes(packed.data(), batch, heads, tokens, groups, capacity), codes);
  // Token 17, group 5 of (b 1, h 2): tile 1, byte 5 * 16 + 1 of the tile.
  const std::size_t seq = std::size_t((1 * heads + 2) * capacity * groups);
  EXPECT_EQ(packed[seq + 1 * groups * 16 + 5 * 16 + 1],
            codes[std::size_t(((1 * heads + 2) * tokens + 17) * groups + 5)]);
  EXPECT_EQ(packed[seq + 2 * groups * 16 + 5 * 16 + 15], 7);  // slot 47: past the tokens
  codes[0] = 256;
  EXPECT_THROW(pack_cq_codes(codes.data(), batch, heads, tokens, groups, capacity), InputError);
}

TEST(AttentionLayout, CodebooksAreEntryMajor) {
  const int heads = 2, groups = 32, v = 4;
  std::vector<float> cb(std::size_t(heads * groups * 256 * v));
  for (std::size_t i = 0; i < cb.size(); ++i) cb[i] = float(i % 1000) * 0.25f;
  const auto packed = pack_cq_codebooks(cb.data(), heads, groups, v);
  // (h 1, g 3, e 200, j 2) -> [h][e][g][j]
  const std::size_t src = std::size_t(((1 * groups + 3) * 256 + 200) * v + 2);
  const std::size_t dst = std::size_t(((1 * 256 + 200) * groups + 3) * v + 2);
  EXPECT_EQ(half_bits_to_float(packed[dst]), cb[src]);
}

}  // namespace
}  // namespace vqt
