// Runtime: the host dispatch that runs a GEMV, a VQ GEMM (prefill) or a decode attention over a
// CQ KV cache with the launch parameters the heuristics database holds for (this GPU class, op,
// VQ config, shape bucket), and falls back to the cost model's best implementable candidate when
// the database has no row (or a row the kernels cannot run here). The model fallback ranks with
// the ceilings and coefficients the database stores for this GPU class (datasheet figures and
// default coefficients where it has none): for gemv over the model's own enumeration, for gemm
// and attention over the kernels' own search spaces (kernels/gemm_space.hpp,
// attention_space.hpp), in the model's order, unpredictable candidates last. The database is
// read once at construction (tuner::DispatchTables); choices are cached per problem.
// CUDA builds only (vqt_tuner_gpu).
//
//   Runtime rt("vqtune.db");
//   rt.gemv(problem, gemv_args, stream);
//   auto g = rt.choose_gemm(problem);                        // size the workspace first:
//   gemm_workspace_bytes(args.format, problem.m, g.params);  // (zero its split-k counters once)
//   rt.gemm(problem, gemm_args, stream);
//   rt.attention(problem, q, kv, out, workspace, bytes, stream);
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "db/heuristics.hpp"
#include "kernels/attention_decode.hpp"
#include "kernels/gemm_vq.hpp"
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
  struct GemmChoice {
    Candidate candidate;
    GemmParams params;
    Source source = Source::model;
  };
  struct AttentionChoice {
    Candidate candidate;
    AttentionParams params;
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

  // gemm (m tokens): InputError for other ops, Error when no candidate can run.
  GemmChoice choose_gemm(const Problem& p);
  // args.workspace must hold gemm_workspace_bytes(args.format, p.m, choose_gemm(p).params) and
  // args.cublas be set when the choice is unfused.
  cudaError_t gemm(const Problem& p, const VqGemmArgs& args, cudaStream_t stream,
                   GemmChoice* used = nullptr);

  // attention_decode over a CQ cache (cq-4, cq-2): InputError for other ops or KV formats.
  AttentionChoice choose_attention(const Problem& p);
  // The shape is attention_shape_of(p) (capacity = context rounded up to 16); the workspace must
  // hold attention_workspace_bytes(shape, choose_attention(p).params).
  cudaError_t attention(const Problem& p, const std::uint16_t* q, const CqKvView& kv,
                        std::uint16_t* out, void* workspace, std::size_t workspace_bytes,
                        cudaStream_t stream, AttentionChoice* used = nullptr);

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
  std::map<std::string, GemmChoice> gemm_cache_;
  std::map<std::string, AttentionChoice> attention_cache_;
  // The stored row if the kernels run it, else the best implementable candidate of `space` in
  // the model's order.
  tuner::DispatchChoice choose_in_space(const Problem& p, const std::vector<Candidate>& space,
                                        const std::function<bool(const Candidate&)>& ok) const;
};

}  // namespace vqt
