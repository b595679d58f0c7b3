#include "tuner/gemm_measurer.hpp"

#include <cublas_v2.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "kernels/device_tensor.hpp"
#include "kernels/gemm_attention_candidate.hpp"
#include "kernels/gemm_space.hpp"
#include "kernels/gemm_vq.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "model/cost_model.hpp"
#include "profiler/cuda_check.hpp"
#include "tuner/time_trial.hpp"
#include "tuner/validate.hpp"
#include "vq/reference.hpp"

namespace vqt::tuner {

struct GemmDataSet {
  DeviceBuffer<std::uint8_t> lo, hi;
  DeviceBuffer<std::uint16_t> cb, x, y;
  DeviceBuffer<std::uint8_t> ws;
};

struct GemmMeasurer::Data {
  Problem problem;
  GemvFormat format;
  GemvDevice dev;
  std::vector<double> cdf;
  std::vector<Candidate> space;
  bool built = false;
  std::vector<std::int64_t> tokens;  // checked tokens
  std::vector<double> ref;           // [tokens.size()][n], fp64
  std::vector<std::size_t> y_index;  // positions of ref's values in y
  std::vector<GemmDataSet> sets;     // copies of the device data (profiler.hpp: data sets)
};

GemmMeasurer::GemmMeasurer(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                           std::uint64_t seed, double zipf_exponent)
    : prof_(prof), rule_(rule), seed_(seed), zipf_(zipf_exponent) {}

GemmMeasurer::~GemmMeasurer() {
  if (cublas_) cublasDestroy(static_cast<cublasHandle_t>(cublas_));
}

db::Timer GemmMeasurer::timer() const {
  return timer_of(prof_);
}

std::vector<double> GemmMeasurer::prepare(const Problem& p, std::string* source) {
  if (p.op != Op::gemm) throw InputError("the GEMM measurer takes gemm problems, got " + p.key());
  p.validate();
  std::ostringstream src;
  src << "zipf:" << zipf_ << ":seed=" << seed_;
  *source = src.str();
  const std::string key = p.key();
  if (auto it = cache_.find(key); it != cache_.end()) {
    d_ = it->second.get();
    return d_->cdf;
  }
  auto d = std::make_unique<Data>();
  d->problem = p;
  d->format = gemm_format_of(p);
  d->dev = gemv_device(prof_.options().device);
  d->cdf = zipf_sorted_cdf(p.vq.stored_entries(), zipf_);
  d->space = gemm_space_candidates(p);
  d_ = d.get();
  cache_[key] = std::move(d);
  return d_->cdf;
}

std::vector<Candidate> GemmMeasurer::search_space(const Problem& p) const {
  if (d_ && d_->problem.key() == p.key()) return d_->space;
  return gemm_space_candidates(p);
}

bool GemmMeasurer::implementable(const Candidate& c) const {
  return d_ && can_implement_gemm(d_->format, d_->problem.m, gemm_params_from(c), d_->dev).empty();
}

void GemmMeasurer::materialize(Data& d) {
  const auto t0 = std::chrono::steady_clock::now();
  const Problem& p = d.problem;
  // The weights depend on (vq, n, k) and the seed only, x on m too.
  const VqTensor w = zipf_weights(p.vq, p.n, p.k, d.cdf, seed_ ^ std::uint64_t(p.n * 131 + p.k));
  std::vector<float> xf;
  std::vector<std::uint16_t> xh;
  random_halves(std::size_t(p.m * p.k), seed_ ^ 0x6e33ull ^ std::uint64_t(p.k), xf, xh);
  d.tokens = sampled_tokens(p.m, kCheckedTokens);
  std::vector<float> xs(d.tokens.size() * std::size_t(p.k));
  for (std::size_t i = 0; i < d.tokens.size(); ++i)
    std::copy_n(xf.begin() + d.tokens[i] * p.k, p.k, xs.begin() + std::ptrdiff_t(i) * p.k);
  // One fp64 reference_gemm per checked token, in parallel (each the same dot products in the
  // same order as one call over all tokens would compute).
  d.ref.assign(d.tokens.size() * std::size_t(p.n), 0.0);
  parallel_for(std::int64_t(d.tokens.size()), [&](std::int64_t i) {
    const std::vector<double> row = reference_gemm(w, xs.data() + i * p.k, 1);
    std::copy(row.begin(), row.end(), d.ref.begin() + std::ptrdiff_t(i) * p.n);
  });
  d.y_index.resize(d.ref.size());
  for (std::size_t i = 0; i < d.tokens.size(); ++i)
    for (std::int64_t n = 0; n < p.n; ++n)
      d.y_index[i * std::size_t(p.n) + std::size_t(n)] = std::size_t(d.tokens[i] * p.n + n);

  const GemvHostPack pack = pack_for_gemv(w);
  d.format = pack.format;
  std::size_t ws = 0;
  for (const Candidate& c : d.space)
    ws = std::max(ws, gemm_workspace_bytes(d.format, p.m, gemm_params_from(c)));
  d.sets.resize(std::size_t(prof_.options().data_sets));
  for (GemmDataSet& set : d.sets) {
    set.lo = DeviceBuffer<std::uint8_t>(pack.lo);
    set.hi = DeviceBuffer<std::uint8_t>(pack.hi);
    set.cb = DeviceBuffer<std::uint16_t>(pack.codebooks);
    set.x = DeviceBuffer<std::uint16_t>(xh);
    set.y = DeviceBuffer<std::uint16_t>(std::size_t(p.m * p.n));
    set.ws = DeviceBuffer<std::uint8_t>(ws);
  }
  d.built = true;
  setup_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Candidate GemmMeasurer::baseline(const Problem& p) {
  GemmParams unfused;
  unfused.strategy = GemmStrategy::unfused;
  return candidate_from(unfused, p);
}

void GemmMeasurer::perturb_reference(double factor) {
  if (!d_) throw Error("GemmMeasurer::perturb_reference before prepare");
  if (!d_->built) materialize(*d_);
  for (auto& r : d_->ref) r *= factor;
}

void GemmMeasurer::ensure_built() {
  Data& d = *d_;
  if (!d.built) materialize(d);
  if (!cublas_) {
    cublasHandle_t h = nullptr;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw Error("cublasCreate failed");
    cublas_ = h;
  }
}

profiler::LaunchFn GemmMeasurer::launch_of(const Candidate& c, std::size_t set) const {
  const Data& d = *d_;
  const GemmDataSet& m = d.sets.at(set);
  const GemmParams params = gemm_params_from(c);
  VqGemmArgs a;
  a.format = d.format;
  a.codes_lo = m.lo.get();
  a.codes_hi = m.hi.size() ? m.hi.get() : nullptr;
  a.codebooks = m.cb.get();
  a.x = m.x.get();
  a.y = m.y.get();
  a.m = d.problem.m;
  a.workspace = m.ws.get();
  a.workspace_bytes = m.ws.bytes();
  a.cublas = static_cast<cublasHandle_t>(cublas_);
  return [a, params](cudaStream_t s) { return vq_gemm(a, params, s); };
}

void GemmMeasurer::reset_workspace(const Candidate& c, bool poison_partials, std::size_t set) {
  const Data& d = *d_;
  const GemmDataSet& m = d.sets.at(set);
  const GemmParams params = gemm_params_from(c);
  const std::size_t need = gemm_workspace_bytes(d.format, d.problem.m, params);
  if (need == 0) return;
  if (poison_partials) VQT_CUDA_CALL(cudaMemset(m.ws.get(), 0xFF, need));
  if (params.strategy == GemmStrategy::fused_regs && params.split_k > 1) {
    const std::size_t off = gemm_counters_offset(d.format, d.problem.m, params);
    VQT_CUDA_CALL(cudaMemset(m.ws.get() + off, 0, need - off));
  }
}

profiler::LaunchFn GemmMeasurer::launch_fn(const Candidate& c) {
  if (!d_) throw Error("GemmMeasurer::launch_fn before prepare");
  ensure_built();
  const std::string why =
      can_implement_gemm(d_->format, d_->problem.m, gemm_params_from(c), d_->dev);
  if (!why.empty()) throw InputError("candidate " + c.key() + " cannot run: " + why);
  reset_workspace(c, false, 0);  // split-k arrival counters at zero (every call leaves them so)
  return launch_of(c, 0);
}

TrialResult GemmMeasurer::measure(const Candidate& c) {
  if (!d_) throw Error("GemmMeasurer::measure before prepare");
  Data& d = *d_;
  ensure_built();
  const std::string why = can_implement_gemm(d.format, d.problem.m, gemm_params_from(c), d.dev);
  if (!why.empty()) return refused_trial(c, why);
  TrialSteps steps;
  for (std::size_t i = 0; i < d.sets.size(); ++i) steps.launches.push_back(launch_of(c, i));
  // NaN output, garbage split-k partials, zeroed arrival counters (every call leaves them zero
  // again, so the timed calls need no reset).
  steps.poison = [&](std::size_t i) {
    d.sets[i].y.fill_bytes(0xFF);
    reset_workspace(c, true, i);
  };
  steps.check = [&](std::size_t i) {
    const std::vector<std::uint16_t> y = d.sets[i].y.download();
    const OutputCheck chk = check_half_output(y.data(), d.ref, kMaxRelError, d.y_index);
    return OutputVerdict{chk.ok, chk.detail};
  };
  return time_trial(prof_, rule_, c, steps);
}

}  // namespace vqt::tuner
