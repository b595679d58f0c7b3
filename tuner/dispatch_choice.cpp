#include "tuner/dispatch_choice.hpp"

#include <filesystem>

#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "vq/error.hpp"

namespace vqt::tuner {

const char* to_string(ChoiceSource s) {
  switch (s) {
    case ChoiceSource::exact:
      return "exact";
    case ChoiceSource::nearest:
      return "nearest";
    case ChoiceSource::model:
      return "model";
  }
  return "?";
}

DispatchChoice choose_candidate(const db::Heuristics& heur, const Problem& p, const GpuSpec& spec,
                                const ModelCoefficients& coef,
                                const std::function<bool(const Candidate&)>& implementable) {
  const auto r = heur.lookup(p);
  if (r.source != db::Heuristics::Source::none && implementable(r.entry->candidate))
    return {r.entry->candidate, r.source == db::Heuristics::Source::exact ? ChoiceSource::exact
                                                                          : ChoiceSource::nearest};
  const PreparedProblem prep = prepare(p, spec, coef, zipf_sorted_cdf(p.vq.stored_entries(), 1.0),
                                       "zipf:1 (runtime default)");
  for (const auto& rk : rank_candidates(prep))
    if (implementable(rk.candidate)) return {rk.candidate, ChoiceSource::model};
  throw Error("no implementable candidate for " + p.key());
}

DispatchTables DispatchTables::load(const std::string& db_path, const std::string& gpu_key) {
  DispatchTables t;
  const GpuSpec datasheet = find_gpu(gpu_key);
  t.model.spec = datasheet;
  if (db_path.empty() || !std::filesystem::exists(db_path)) return t;
  t.heuristics = db::Heuristics::load(db_path, gpu_key);
  auto repo = db::Repository::open(db_path, db::Access::read_only);
  t.model = load_stored_model(repo, gpu_key, datasheet);
  return t;
}

}  // namespace vqt::tuner
