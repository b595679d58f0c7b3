// `vqtune predict --db FILE`: the measured ceilings and fitted model coefficients of one GPU class,
// read from a vqtune database through the db/ repository API (read-only open, integrity check
// first, so the file is never modified). Ceilings are stored under the profiler's names; the ones
// the cost model reads are mapped as in tuner/ceilings_store.hpp (model_ceiling_of), the latest
// row of each name winning. Every problem with the file (missing, not a vqtune database, corrupt,
// newer schema, unreadable stored coefficients) is an InputError naming --db (exit 2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"

namespace vqt::cli {

struct PredictDbFigures {
  Ceilings ceilings;       // only the ceilings the file measured; source names the file and dates
  int ceiling_rows = 0;    // rows stored for the class (all profiler names)
  int model_ceilings = 0;  // of which the cost model uses this many distinct ceilings
  std::optional<ModelCoefficients> coefficients;  // latest fit for the class, if any
  std::vector<std::string> gpu_classes;           // classes the file holds (for messages)
};

// Reads what `path` holds for `gpu_key` (a model/gpu_spec.hpp key). Throws InputError naming --db.
PredictDbFigures load_predict_db(const std::string& path, const std::string& gpu_key);

}  // namespace vqt::cli
