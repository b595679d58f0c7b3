#include "model/model_shapes.hpp"

#include "vq/error.hpp"

namespace vqt {

const std::vector<ModelShape>& model_shapes() {
  static const std::vector<ModelShape> all = {
      {"llama-7b", 32, 4096, 11008, 32, 32, 128, 32000,
       "LLaMA (Touvron et al., 2023), Table 2; HF config huggyllama/llama-7b"},
      {"llama-65b", 80, 8192, 22016, 64, 64, 128, 32000,
       "LLaMA (Touvron et al., 2023), Table 2; HF config huggyllama/llama-65b"},
      {"llama-3-8b", 32, 4096, 14336, 32, 8, 128, 128256,
       "Llama 3 model card / HF config meta-llama/Meta-Llama-3-8B (GQA, 8 KV heads)"},
      {"llama-3-70b", 80, 8192, 28672, 64, 8, 128, 128256,
       "Llama 3 model card / HF config meta-llama/Meta-Llama-3-70B (GQA, 8 KV heads)"},
  };
  return all;
}

const ModelShape& find_model_shape(const std::string& key, const std::string& flag) {
  std::string list;
  for (const auto& m : model_shapes()) {
    if (m.key == key) return m;
    list += (list.empty() ? "" : ", ") + m.key;
  }
  throw InputError(flag + ": unknown model '" + key + "'; accepted: " + list);
}

std::vector<LayerProblem> expand_model(const ModelShape& s, Op op, const VqConfig& vq,
                                       std::int64_t m, std::int64_t context) {
  std::vector<LayerProblem> out;
  if (op == Op::gemv || op == Op::gemm) {
    auto add = [&](const char* name, std::int64_t n, std::int64_t k, int count) {
      LayerProblem lp;
      lp.name = name;
      lp.problem = Problem::matmul(op, vq, m, n, k);
      lp.count_per_layer = count;
      out.push_back(lp);
    };
    add("qkv", std::int64_t(s.q_heads + 2 * s.kv_heads) * s.head_dim, s.hidden, 1);
    add("o", s.hidden, std::int64_t(s.q_heads) * s.head_dim, 1);
    add("gate/up", s.intermediate, s.hidden, 2);
    add("down", s.hidden, s.intermediate, 1);
  } else if (op == Op::attention_decode) {
    LayerProblem lp;
    lp.name = "attention";
    lp.problem = Problem::attention(vq, m, s.q_heads, s.kv_heads, s.head_dim, context);
    out.push_back(lp);
  } else {
    throw InputError(std::string("--op: ") + to_string(op) +
                     " cannot be expanded from a model shape; use gemv, gemm or attention_decode");
  }
  for (const auto& lp : out) {
    try {
      lp.problem.validate();
    } catch (const InputError& e) {
      throw InputError("--model " + s.key + ", layer " + lp.name + ": " + e.what());
    }
  }
  return out;
}

}  // namespace vqt
