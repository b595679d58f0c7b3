// Model shapes: the layer dimensions of a few LLMs, so `--model llama-7b` expands to the problems
// of one decoder layer (its linear layers, or its decode attention).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/problem.hpp"

namespace vqt {

struct ModelShape {
  std::string key;  // "llama-7b"
  int layers = 0;
  std::int64_t hidden = 0;
  std::int64_t intermediate = 0;
  int q_heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  std::int64_t vocab = 0;
  std::string source;  // the paper / config the numbers come from
};

const std::vector<ModelShape>& model_shapes();
// Throws InputError naming `flag` and listing the accepted names.
const ModelShape& find_model_shape(const std::string& key, const std::string& flag = "--model");

// One problem of a decoder layer and how many times a layer runs it.
struct LayerProblem {
  std::string name;  // "qkv", "o", "gate/up", "down", "attention"
  Problem problem;
  int count_per_layer = 1;
};

// gemv / gemm: the linear layers of one decoder layer (fused qkv, o, gate and up, down) with
// m = batch (gemv) or tokens (gemm); attention_decode: one decode attention over `context` tokens
// with batch = m. Each problem is validated (InputError).
std::vector<LayerProblem> expand_model(const ModelShape& shape, Op op, const VqConfig& vq,
                                       std::int64_t m, std::int64_t context);

}  // namespace vqt
