#include "cli/predict_db.hpp"

#include <algorithm>
#include <map>

#include "db/repository.hpp"
#include "db/schema.hpp"
#include "tuner/ceilings_store.hpp"
#include "vq/error.hpp"

namespace vqt::cli {

namespace {

PredictDbFigures read_figures(const std::string& path, const std::string& gpu_key) {
  auto repo = db::Repository::open(path, db::Access::read_only);
  db::check_integrity(repo.connection());
  PredictDbFigures out;
  for (const auto& g : repo.gpus())
    if (std::find(out.gpu_classes.begin(), out.gpu_classes.end(), g.gpu_key()) ==
        out.gpu_classes.end())
      out.gpu_classes.push_back(g.gpu_key());

  // Oldest first: a later row of the same model ceiling replaces an earlier one.
  std::map<int, std::string> when;
  for (const db::Ceiling& row : repo.ceilings(gpu_key)) {
    ++out.ceiling_rows;
    const auto which = tuner::model_ceiling_of(row.name);
    if (!which) continue;
    out.ceilings.set(*which, row.value);
    when[int(*which)] = row.measured_at;
  }
  out.model_ceilings = int(when.size());
  if (!when.empty()) {
    std::string first = when.begin()->second, last = first;
    for (const auto& [c, t] : when) {
      first = std::min(first, t);
      last = std::max(last, t);
    }
    out.ceilings.source =
        "database " + path + ", measured " + first.substr(0, 10) +
        (last.substr(0, 10) != first.substr(0, 10) ? ".." + last.substr(0, 10) : std::string());
  }
  if (const auto json = repo.load_coefficients(gpu_key)) {
    try {
      out.coefficients = ModelCoefficients::from_json(*json);
    } catch (const std::exception& e) {
      throw InputError(path + ": the stored coefficients of " + gpu_key +
                       " are not usable: " + e.what());
    }
  }
  return out;
}

}  // namespace

PredictDbFigures load_predict_db(const std::string& path, const std::string& gpu_key) {
  try {
    return db::file_errors_as_input_errors([&] { return read_figures(path, gpu_key); });
  } catch (const InputError& e) {
    const std::string w = e.what();
    throw InputError(w.rfind("--db", 0) == 0 ? w : "--db: " + w);
  }
}

}  // namespace vqt::cli
