// The runtime's choice of launch parameters for one problem, in plain C++ so the cpu tier tests
// it: the heuristics row of the exact shape bucket, else of the nearest bucket (db/heuristics.hpp),
// else the cost model's best candidate; a stored candidate the kernels cannot run here
// (`implementable` false) falls through to the model.
#pragma once

#include <functional>

#include "db/heuristics.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"
#include "model/problem.hpp"

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

}  // namespace vqt::tuner
