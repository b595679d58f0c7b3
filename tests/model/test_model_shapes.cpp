#include <gtest/gtest.h>

#include "model/model_shapes.hpp"
#include "vq/error.hpp"

using namespace vqt;

TEST(ModelShapes, Llama7bExpandsToItsLinearLayers) {
  const auto& s = find_model_shape("llama-7b");
  EXPECT_EQ(s.layers, 32);
  const auto layers = expand_model(s, Op::gemv, parse_vq("aqlm-3"), 1, 0);
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[0].name, "qkv");
  EXPECT_EQ(layers[0].problem.n, 3 * 4096);
  EXPECT_EQ(layers[0].problem.k, 4096);
  EXPECT_EQ(layers[2].name, "gate/up");
  EXPECT_EQ(layers[2].problem.n, 11008);
  EXPECT_EQ(layers[2].count_per_layer, 2);
  EXPECT_EQ(layers[3].problem.k, 11008);
  // Weights per layer: 4 h^2 + 3 h i.
  std::int64_t w = 0;
  for (const auto& l : layers) w += l.problem.n * l.problem.k * l.count_per_layer;
  EXPECT_EQ(w, 4 * 4096LL * 4096 + 3 * 4096LL * 11008);
}

TEST(ModelShapes, GqaAndAttention) {
  const auto& s = find_model_shape("llama-3-70b");
  const auto lin = expand_model(s, Op::gemm, parse_vq("gptvq-2"), 512, 0);
  EXPECT_EQ(lin[0].problem.n, (64 + 2 * 8) * 128);
  const auto att = expand_model(s, Op::attention_decode, parse_vq("cq-2"), 4, 8192);
  ASSERT_EQ(att.size(), 1u);
  EXPECT_EQ(att[0].problem.kv_heads, 8);
  EXPECT_EQ(att[0].problem.q_heads, 64);
  EXPECT_EQ(att[0].problem.context, 8192);
  EXPECT_THROW(find_model_shape("gpt-5"), InputError);
  EXPECT_THROW(expand_model(s, Op::gemv, parse_vq("cq-2"), 1, 0), InputError);
}
