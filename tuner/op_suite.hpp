// What `vqtune tune` tunes when several ops are asked for: the per-op problem sets and a Measurer
// that routes each problem to its op's measurer (plain C++: the cpu tier tests both with fake
// measurers).
//
// Problem sets (TuneSetSpec):
//   gemv       at every --batch (1, 16), the weight presets (--vq)
//   gemm       at every --tokens (prefill tokens, default 512), the weight presets
//   attention  (attention_decode) at every --batch and --context (default 4096), the KV presets
//              (--kv, default cq-4, cq-2), the model's heads (llama-7b: 32 x 128; llama-3-8b: 32
//              query and 8 KV heads, GQA)
// With models: every decoder-layer problem of each (tuner::suite_problems); without: one shape
// from --n / --k for gemv and gemm (attention needs a model for its heads). The set is
// de-duplicated and sorted by key (tuner::shard_problems then splits it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/problem.hpp"
#include "tuner/tune_loop.hpp"

namespace vqt::tuner {

// "a,,b" -> {"a", "b"}: the items of a comma-separated flag value, empty ones dropped, in order
// (the list flags of vqtune tune, measure and accuracy).
std::vector<std::string> split_list(const std::string& text);

// "gemv,gemm,attention" -> ops in that order, duplicates dropped; names as parse_op accepts them
// ("attention" = attention_decode). Throws InputError naming `flag` for an empty list or an op
// the tuner cannot measure (offload_*).
std::vector<Op> parse_op_list(const std::string& text, const std::string& flag = "--op");

// "1,16" -> {1, 16}; throws InputError naming `flag` for an empty list, a non-integer or a value
// below `min_value`.
std::vector<std::int64_t> parse_int_list(const std::string& text, const std::string& flag,
                                         std::int64_t min_value = 1);

struct TuneSetSpec {
  std::vector<std::string> models;  // empty: one shape from n / k
  std::vector<Op> ops = {Op::gemv, Op::gemm, Op::attention_decode};
  std::vector<std::string> weight_vq = {"quip#-4", "aqlm-3", "gptvq-2", "aqlm-2x8", "aqlm-1x16"};
  std::vector<std::string> kv_vq = {"cq-4", "cq-2"};
  std::vector<std::int64_t> batches = {1, 16};  // gemv batch; attention batch
  std::vector<std::int64_t> tokens = {512};     // gemm m
  std::vector<std::int64_t> contexts = {4096};  // attention context
  std::optional<std::int64_t> n, k;             // without models: the gemv / gemm shape
};

// The problems of `spec` (see above), de-duplicated and sorted by key; InputError (naming the
// flag) for combinations that cannot be built: a KV preset as weights, gemv batch over 16, gemm
// under 32 tokens, attention without a model, no models and no --n / --k.
std::vector<Problem> tune_problem_set(const TuneSetSpec& spec);

// Routes prepare() / measure() to the measurer registered for the problem's op (the last
// prepared problem decides measure(), implementable() and search_space()). prepare() of an op
// with no measurer throws InputError. Measurers are not owned.
class OpRouter : public Measurer {
 public:
  void add(Op op, Measurer* m) { by_op_[op] = m; }
  db::Timer timer() const override;
  std::vector<double> prepare(const Problem& p, std::string* histogram_source) override;
  bool implementable(const Candidate& c) const override;
  std::vector<Candidate> search_space(const Problem& p) const override;
  TrialResult measure(const Candidate& c) override;

 private:
  std::map<Op, Measurer*> by_op_;
  Measurer* current_ = nullptr;
  Measurer& route(Op op) const;
};

}  // namespace vqt::tuner
