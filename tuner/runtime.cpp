#include "tuner/runtime.hpp"

#include "kernels/attention_space.hpp"
#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/gemm_space.hpp"
#include "kernels/gemv_candidate.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "model/cost_model.hpp"
#include "model/enumerate.hpp"
#include "profiler/ceilings.hpp"
#include "tuner/ceilings_store.hpp"
#include "vq/error.hpp"

namespace vqt {

Runtime::Runtime(const std::string& db_path, int device) {
  const profiler::DeviceInfo info = profiler::device_info(device);
  gpu_key_ = tuner::detect_spec_key(info.cc_major, info.cc_minor, info.sm_count,
                                    std::int64_t(info.global_mem_bytes));
  if (gpu_key_.empty()) throw Error("no built-in GPU spec matches " + info.name);
  dev_ = gemv_device(device);
  tables_ = tuner::DispatchTables::load(db_path, gpu_key_);
}

Runtime::Choice Runtime::choose(const Problem& p) {
  if (p.op != Op::gemv) throw InputError("Runtime::choose takes gemv problems, got " + p.key());
  const std::string key = p.key();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  VqTensor shape;
  shape.config = p.vq;
  shape.rows = p.n;
  shape.cols = p.k;
  const GemvFormat f = gemv_format_of(shape);
  const tuner::DispatchChoice d = tables_.choose(p, [&](const Candidate& c) {
    return can_implement(f, int(p.m), gemv_params_from(c), dev_).empty();
  });
  const Choice c{d.candidate, gemv_params_from(d.candidate), d.source};
  std::lock_guard<std::mutex> lock(mu_);
  cache_[key] = c;
  return c;
}

cudaError_t Runtime::gemv(const Problem& p, const VqGemvArgs& args, cudaStream_t stream,
                          Choice* used) {
  const Choice c = choose(p);
  if (used) *used = c;
  return vq_gemv(args, c.params, stream);
}

tuner::DispatchChoice Runtime::choose_in_space(
    const Problem& p, const std::vector<Candidate>& space,
    const std::function<bool(const Candidate&)>& ok) const {
  const auto r = tables_.heuristics.lookup(p);
  if (r.source != db::Heuristics::Source::none && ok(r.entry->candidate))
    return {r.entry->candidate,
            r.source == db::Heuristics::Source::exact ? Source::exact : Source::nearest};
  const PreparedProblem prep =
      prepare(p, tables_.model.spec, tables_.model.coef,
              zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf:1 (runtime default)");
  for (const auto& rk : rank_given_candidates(prep, space))
    if (ok(rk.candidate)) return {rk.candidate, Source::model};
  throw Error("no implementable candidate for " + p.key());
}

Runtime::GemmChoice Runtime::choose_gemm(const Problem& p) {
  if (p.op != Op::gemm)
    throw InputError("Runtime::choose_gemm takes gemm problems, got " + p.key());
  const std::string key = p.key();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = gemm_cache_.find(key); it != gemm_cache_.end()) return it->second;
  }
  const GemvFormat f = gemm_format_of(p);
  const tuner::DispatchChoice d =
      choose_in_space(p, gemm_space_candidates(p), [&](const Candidate& c) {
        return can_implement_gemm(f, p.m, gemm_params_from(c), dev_).empty();
      });
  const GemmChoice c{d.candidate, gemm_params_from(d.candidate), d.source};
  std::lock_guard<std::mutex> lock(mu_);
  gemm_cache_[key] = c;
  return c;
}

cudaError_t Runtime::gemm(const Problem& p, const VqGemmArgs& args, cudaStream_t stream,
                          GemmChoice* used) {
  const GemmChoice c = choose_gemm(p);
  if (used) *used = c;
  return vq_gemm(args, c.params, stream);
}

Runtime::AttentionChoice Runtime::choose_attention(const Problem& p) {
  if (p.op != Op::attention_decode)
    throw InputError("Runtime::choose_attention takes attention_decode problems, got " + p.key());
  const std::string key = p.key();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = attention_cache_.find(key); it != attention_cache_.end()) return it->second;
  }
  const AttentionShape s = attention_shape_of(p);
  const tuner::DispatchChoice d =
      choose_in_space(p, attention_space_candidates(p), [&](const Candidate& c) {
        return bool(can_implement_attention(s, attention_params_from(c)));
      });
  const AttentionChoice c{d.candidate, attention_params_from(d.candidate), d.source};
  std::lock_guard<std::mutex> lock(mu_);
  attention_cache_[key] = c;
  return c;
}

cudaError_t Runtime::attention(const Problem& p, const std::uint16_t* q, const CqKvView& kv,
                               std::uint16_t* out, void* workspace, std::size_t workspace_bytes,
                               cudaStream_t stream, AttentionChoice* used) {
  const AttentionChoice c = choose_attention(p);
  if (used) *used = c;
  return attention_decode_cq(attention_shape_of(p), c.params, q, kv, out, workspace,
                             workspace_bytes, stream);
}

}  // namespace vqt
