#include "tuner/op_suite.hpp"

#include <algorithm>
#include <sstream>

#include "tuner/shard.hpp"
#include "vq/error.hpp"

namespace vqt::tuner {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<Op> parse_op_list(const std::string& text, const std::string& flag) {
  std::vector<Op> out;
  for (const auto& t : split_list(text)) {
    const Op op = parse_op(t, flag);
    if (op != Op::gemv && op != Op::gemm && op != Op::attention_decode)
      throw InputError(flag + ": " + std::string(to_string(op)) +
                       " is not tuned by vqtune tune; accepted: gemv, gemm, attention");
    if (std::find(out.begin(), out.end(), op) == out.end()) out.push_back(op);
  }
  if (out.empty()) throw InputError(flag + ": empty list; give e.g. gemv,gemm,attention");
  return out;
}

std::vector<std::int64_t> parse_int_list(const std::string& text, const std::string& flag,
                                         std::int64_t min_value) {
  std::vector<std::int64_t> out;
  for (const auto& t : split_list(text)) {
    std::int64_t v = 0;
    try {
      std::size_t used = 0;
      v = std::stoll(t, &used);
      if (used != t.size()) throw std::invalid_argument(t);
    } catch (const std::logic_error&) {
      throw InputError(flag + ": '" + t + "' is not an integer");
    }
    if (v < min_value)
      throw InputError(flag + ": " + t + " is below the minimum " + std::to_string(min_value));
    out.push_back(v);
  }
  if (out.empty()) throw InputError(flag + ": empty list");
  return out;
}

std::vector<Problem> tune_problem_set(const TuneSetSpec& spec) {
  std::vector<Problem> all;
  for (Op op : spec.ops) {
    const bool att = op == Op::attention_decode;
    const std::vector<std::int64_t>& sizes = op == Op::gemm ? spec.tokens : spec.batches;
    for (std::int64_t s : sizes) {
      if (op == Op::gemv && s > 16)
        throw InputError("--batch: gemv batch " + std::to_string(s) +
                         " is over 16 (larger batches are gemm: --tokens)");
      if (op == Op::gemm && s < 32)
        throw InputError("--tokens: " + std::to_string(s) +
                         " is under 32 (the GEMM is prefill; decode batches are gemv)");
    }
    const std::vector<std::string>& presets = att ? spec.kv_vq : spec.weight_vq;
    for (const auto& v : presets) {
      const VqConfig cfg = parse_vq(v, att ? "--kv" : "--vq");
      const bool kv_format = cfg.scope == Scope::per_head_group;
      if (att && !kv_format)
        throw InputError("--kv: " + v +
                         " is a weight format; attention takes KV-cache "
                         "presets (cq-4, cq-2)");
      if (!att && kv_format)
        throw InputError("--vq: " + v +
                         " is a KV-cache format (per head x channel group); give "
                         "it to --kv for attention");
    }
    if (spec.models.empty()) {
      if (att) throw InputError("--op attention needs --model (the model's heads and head_dim)");
      if (!spec.n || !spec.k) throw InputError("give --model, or --n and --k");
      for (const auto& v : presets)
        for (std::int64_t s : sizes) {
          const Problem p = Problem::matmul(op, parse_vq(v), s, *spec.n, *spec.k);
          p.validate();
          all.push_back(p);
        }
      continue;
    }
    for (std::int64_t ctx : att ? spec.contexts : std::vector<std::int64_t>{4096}) {
      SuiteSpec ss;
      ss.models = spec.models;
      ss.ops = {op};
      ss.vq = presets;
      ss.batches = sizes;
      ss.context = ctx;
      for (auto& p : suite_problems(ss)) all.push_back(std::move(p));
    }
  }
  return shard_problems(std::move(all), Shard{0, 1});
}

Measurer& OpRouter::route(Op op) const {
  const auto it = by_op_.find(op);
  if (it == by_op_.end() || !it->second)
    throw InputError(std::string("no measurer for op ") + to_string(op) + " in this build");
  return *it->second;
}

db::Timer OpRouter::timer() const {
  if (current_) return current_->timer();
  if (!by_op_.empty()) return by_op_.begin()->second->timer();
  return db::Timer::cuda_event;
}

std::vector<double> OpRouter::prepare(const Problem& p, std::string* source) {
  Measurer& m = route(p.op);
  current_ = &m;
  return m.prepare(p, source);
}

bool OpRouter::implementable(const Candidate& c) const {
  return current_ && current_->implementable(c);
}

std::vector<Candidate> OpRouter::search_space(const Problem& p) const {
  return route(p.op).search_space(p);
}

TrialResult OpRouter::measure(const Candidate& c) {
  if (!current_) throw Error("OpRouter::measure before prepare");
  return current_->measure(c);
}

}  // namespace vqt::tuner
