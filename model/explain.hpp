// A one-line reason for a ranked candidate, in terms of the model's quantities: where the codebook
// lives and why, what share of lookups each tier takes, and what binds.
#pragma once

#include <string>

#include "model/cost_model.hpp"

namespace vqt {

std::string explain(const PreparedProblem& p, const Candidate& c, const Prediction& r);

// "1.5 KiB", "128 KiB", "1.0 MiB".
std::string format_bytes(double bytes);

}  // namespace vqt
