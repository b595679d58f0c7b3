#include "tuner/runtime.hpp"

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
  if (p.op != Op::gemv) throw InputError("Runtime: only gemv is dispatched so far, got " + p.key());
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

}  // namespace vqt
