// The cost model's inputs for one GPU class as a database holds them: the datasheet spec with the
// ceilings `vqtune measure` stored merged in (tuner/ceilings_store.hpp), and the coefficients
// `vqtune accuracy --fit` stored (the latest fit), else the defaults. What `vqtune tune` ranks
// with and what the runtime's model fallback uses, so both agree with what was calibrated.
#pragma once

#include <string>

#include "db/repository.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"

namespace vqt::tuner {

struct StoredModel {
  GpuSpec spec;  // effective: measured ceilings where stored, datasheet figures elsewhere
  ModelCoefficients coef;
  bool measured_ceilings = false;         // at least one stored ceiling maps to a model ceiling
  bool fitted_coefficients = false;       // coef came from the database
  std::string model_version = "default";  // "fitted" when fitted_coefficients
};

// Reads the ceilings and coefficients of `gpu_key` from `repo`; `datasheet` is the built-in spec
// of that class. Stored coefficients that do not parse are an InputError naming the GPU class.
StoredModel load_stored_model(db::Repository& repo, const std::string& gpu_key,
                              const GpuSpec& datasheet);

}  // namespace vqt::tuner
