// Runtime: the host dispatch that runs a GEMV with the launch parameters the heuristics database
// holds for (this GPU class, op, VQ config, shape bucket), and falls back to the cost model's best
// implementable candidate when the database has no row (or a row the kernels cannot run here).
// The model fallback ranks with the ceilings and coefficients the database stores for this GPU
// class (datasheet figures and default coefficients where it has none). The database is read once
// at construction (tuner::DispatchTables); choices are cached per problem.
// CUDA builds only (vqt_tuner_gpu).
#pragma once

#include <cuda_runtime_api.h>

#include <map>
#include <mutex>
#include <string>

#include "db/heuristics.hpp"
#include "kernels/gemv_params.hpp"
#include "model/gpu_spec.hpp"
#include "model/problem.hpp"
#include "tuner/dispatch_choice.hpp"

namespace vqt {

class Runtime {
 public:
  using Source = tuner::ChoiceSource;
  struct Choice {
    Candidate candidate;
    GemvParams params;
    Source source = Source::model;
  };

  // `db_path` empty or missing: cost model only. `device`: CUDA device index.
  explicit Runtime(const std::string& db_path, int device = 0);

  // The launch parameters for `p` (a gemv problem); throws InputError for other ops and Error
  // when no candidate can run.
  Choice choose(const Problem& p);
  // y = x W^T with the chosen parameters; `used` (may be null) receives the choice.
  cudaError_t gemv(const Problem& p, const VqGemvArgs& args, cudaStream_t stream,
                   Choice* used = nullptr);

  const std::string& gpu_key() const { return gpu_key_; }
  std::size_t heuristics_rows() const { return tables_.heuristics.size(); }
  // What the model fallback ranks with (effective spec, coefficients and where they came from).
  const tuner::StoredModel& model() const { return tables_.model; }

 private:
  std::string gpu_key_;
  GemvDevice dev_;
  tuner::DispatchTables tables_;
  std::mutex mu_;
  std::map<std::string, Choice> cache_;
};

}  // namespace vqt
