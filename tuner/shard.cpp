#include "tuner/shard.hpp"

#include <algorithm>
#include <map>

#include "model/model_shapes.hpp"
#include "vq/error.hpp"

namespace vqt::tuner {

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const std::string bad = "--shard: expected I/N with 0 <= I < N (e.g. 0/4), got '" + text + "'";
  if (slash == std::string::npos || slash == 0 || slash + 1 >= text.size()) throw InputError(bad);
  Shard s;
  try {
    std::size_t used = 0;
    s.index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw InputError(bad);
    const std::string n = text.substr(slash + 1);
    s.count = std::stoi(n, &used);
    if (used != n.size()) throw InputError(bad);
  } catch (const std::logic_error&) {
    throw InputError(bad);
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count) throw InputError(bad);
  return s;
}

std::vector<Problem> shard_problems(std::vector<Problem> suite, const Shard& shard) {
  std::map<std::string, Problem> by_key;
  for (auto& p : suite) by_key.emplace(p.key(), std::move(p));
  std::vector<Problem> out;
  std::size_t i = 0;
  for (auto& kv : by_key) {
    if (int(i % std::size_t(shard.count)) == shard.index) out.push_back(std::move(kv.second));
    ++i;
  }
  return out;
}

std::vector<Problem> suite_problems(const SuiteSpec& spec) {
  std::vector<Problem> all;
  for (const auto& m : spec.models) {
    const ModelShape& shape = find_model_shape(m);
    for (Op op : spec.ops)
      for (const auto& v : spec.vq) {
        const VqConfig cfg = parse_vq(v);
        for (std::int64_t b : spec.batches)
          for (const auto& lp : expand_model(shape, op, cfg, b, spec.context))
            all.push_back(lp.problem);
      }
  }
  return shard_problems(std::move(all), Shard{0, 1});
}

}  // namespace vqt::tuner
