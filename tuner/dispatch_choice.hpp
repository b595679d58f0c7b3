// The runtime's choice of launch parameters for one problem, in plain C++ so the cpu tier tests
// it: the heuristics row of the exact shape bucket, else of the nearest bucket (db/heuristics.hpp),
// else the cost model's best candidate; a stored candidate the kernels cannot run here
// (`implementable` false) falls through to the model. DispatchTables is what the runtime loads
// from a database once: the heuristics rows and, for the model fallback, the stored ceilings and
// coefficients of the GPU class (tuner/stored_model.hpp).
#pragma once

#include <functional>
#include <string>

#include "db/heuristics.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"
#include "model/problem.hpp"
#include "tuner/stored_model.hpp"

namespace vqt::tuner {

enum class ChoiceSource { exact, nearest, model };
const char* to_string(ChoiceSource s);

struct DispatchChoice {
  Candidate candidate;
  ChoiceSource source = ChoiceSource::model;
};

// Throws vqt::Error when neither the heuristics nor the model give an implementable candidate.
DispatchChoice choose_candidate(const db::Heuristics& heur, const Problem& p, const GpuSpec& spec,
                                const ModelCoefficients& coef,
                                const std::function<bool(const Candidate&)>& implementable);

struct DispatchTables {
  db::Heuristics heuristics;
  StoredModel model;  // datasheet spec and default coefficients when the database has none

  // Loads the rows and model inputs of `gpu_key` (a built-in spec key) from `db_path`, read-only;
  // an empty path or a missing file gives no rows, the datasheet spec and default coefficients.
  static DispatchTables load(const std::string& db_path, const std::string& gpu_key);

  DispatchChoice choose(const Problem& p,
                        const std::function<bool(const Candidate&)>& implementable) const {
    return choose_candidate(heuristics, p, model.spec, model.coef, implementable);
  }
};

}  // namespace vqt::tuner
