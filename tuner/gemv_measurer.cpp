#include "tuner/gemv_measurer.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "kernels/gemv_candidate.hpp"
#include "kernels/vq_device_layout.hpp"
#include "kernels/vq_gemv.hpp"
#include "model/cost_model.hpp"
#include "profiler/cuda_check.hpp"
#include "tuner/time_trial.hpp"
#include "tuner/validate.hpp"
#include "vq/half.hpp"
#include "vq/reference.hpp"

namespace vqt::tuner {

namespace {

struct DevMem {
  void* p = nullptr;
  std::size_t bytes = 0;
  DevMem() = default;
  explicit DevMem(std::size_t n) : bytes(n) {
    VQT_CUDA_CALL(cudaMalloc(&p, std::max<std::size_t>(n, 16)));
  }
  ~DevMem() {
    if (p) cudaFree(p);
  }
  DevMem(const DevMem&) = delete;
  DevMem& operator=(const DevMem&) = delete;
};

}  // namespace

// One copy of a problem's device data (profiler.hpp: data sets).
struct GemvDataSet {
  std::unique_ptr<DevMem> lo, hi, cb, x, y, ws;
};

struct GemvMeasurer::Data {
  std::string key;  // vq key + n + k: what the reference was computed for
  Problem problem;
  GemvFormat format;
  std::vector<double> cdf;
  std::vector<double> ref;  // [16][n], fp64
  std::vector<GemvDataSet> sets;
  GemvDevice dev;
};

GemvMeasurer::GemvMeasurer(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                           std::uint64_t seed, double zipf_exponent)
    : prof_(prof), rule_(rule), seed_(seed), zipf_(zipf_exponent) {}

GemvMeasurer::~GemvMeasurer() = default;

db::Timer GemvMeasurer::timer() const {
  return timer_of(prof_);
}

std::vector<double> GemvMeasurer::prepare(const Problem& p, std::string* source) {
  if (p.op != Op::gemv) throw InputError("the GEMV measurer takes gemv problems, got " + p.key());
  if (p.m < 1 || p.m > kGemvMaxBatch)
    throw InputError("gemv batch must be 1.." + std::to_string(kGemvMaxBatch));
  std::ostringstream src;
  src << "zipf:" << zipf_ << ":seed=" << seed_;
  *source = src.str();
  const std::string key = p.vq.key() + ":" + std::to_string(p.n) + "x" + std::to_string(p.k);
  if (auto it = cache_.find(key); it != cache_.end()) {
    d_ = it->second.get();
    d_->problem = p;
    return d_->cdf;
  }
  auto d = std::make_unique<Data>();
  d->key = key;
  d->problem = p;
  d->cdf = zipf_sorted_cdf(p.vq.stored_entries(), zipf_);
  d->dev = gemv_device(prof_.options().device);
  VqTensor shape;
  shape.config = p.vq;
  shape.rows = p.n;
  shape.cols = p.k;
  d->format = gemv_format_of(shape);
  d_ = d.get();
  cache_[key] = std::move(d);
  return d_->cdf;
}

void GemvMeasurer::materialize(Data& d) {
  const Problem& p = d.problem;
  VqTensor t;
  t.config = p.vq;
  t.rows = p.n;
  t.cols = p.k;
  const std::int64_t stored = p.vq.stored_entries();
  std::uint64_t rng = seed_ ^ 0x5eed5eedull;
  const std::size_t n_codes = std::size_t(t.rows * t.groups_per_row() * p.vq.residuals);
  t.codes.resize(n_codes);
  const bool lattice = p.vq.lattice_entries > 0;
  for (auto& c : t.codes) {
    const double u = uniform01(rng);
    const auto it = std::lower_bound(d.cdf.begin(), d.cdf.end(), u);
    std::uint32_t idx = std::uint32_t(std::min<std::ptrdiff_t>(it - d.cdf.begin(), stored - 1));
    if (lattice) idx |= std::uint32_t(splitmix(rng) & 0xff) << 8;
    c = std::uint16_t(idx);
  }
  t.codebooks.resize(std::size_t(t.instances() * p.vq.residuals * stored * p.vq.vec_size));
  for (auto& v : t.codebooks) v = half_round(float(2.0 * uniform01(rng) - 1.0));
  t.check_consistent();
  std::vector<float> x(std::size_t(kGemvMaxBatch * p.k));
  for (auto& v : x) v = half_round(float(2.0 * uniform01(rng) - 1.0));
  d.ref = reference_gemv(t, x.data(), kGemvMaxBatch);

  const GemvHostPack pack = pack_for_gemv(t);
  d.format = pack.format;
  std::vector<std::uint16_t> xh(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) xh[i] = float_to_half_bits(x[i]);
  const auto upload = [](const void* host, std::size_t bytes) {
    auto m = std::make_unique<DevMem>(bytes);
    if (bytes) VQT_CUDA_CALL(cudaMemcpy(m->p, host, bytes, cudaMemcpyHostToDevice));
    return m;
  };
  d.sets.resize(std::size_t(prof_.options().data_sets));
  for (GemvDataSet& set : d.sets) {
    set.lo = upload(pack.lo.data(), pack.lo.size());
    set.hi = upload(pack.hi.data(), pack.hi.size());
    set.cb = upload(pack.codebooks.data(), pack.codebooks.size() * 2);
    set.x = upload(xh.data(), xh.size() * 2);
    set.y = std::make_unique<DevMem>(std::size_t(kGemvMaxBatch * p.n) * 2);
    set.ws = std::make_unique<DevMem>(gemv_workspace_bytes(d.format));
    VQT_CUDA_CALL(cudaMemset(set.ws->p, 0, set.ws->bytes));
  }
}

bool GemvMeasurer::implementable(const Candidate& c) const {
  return d_ && can_implement(d_->format, int(d_->problem.m), gemv_params_from(c), d_->dev).empty();
}

namespace {

VqGemvArgs gemv_args(const GemvFormat& format, int batch, void* lo, std::size_t hi_bytes, void* hi,
                     void* cb, void* x, void* y, void* ws, std::size_t ws_bytes) {
  VqGemvArgs a;
  a.format = format;
  a.codes_lo = lo;
  a.codes_hi = hi_bytes ? hi : nullptr;
  a.codebooks = cb;
  a.x = x;
  a.y = y;
  a.batch = batch;
  a.workspace = ws;
  a.workspace_bytes = ws_bytes;
  return a;
}

// y (fp16) against the reference's first y.size() values: finite and relative L2 error <=
// kMaxRelError (the GEMV's own message, without the limit that check_half_output adds).
OutputVerdict check_output(const std::vector<std::uint16_t>& y, const std::vector<double>& ref) {
  double num = 0, den = 0;
  bool finite = true;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double v = half_bits_to_float(y[i]), r = ref[i];
    if (!std::isfinite(v)) finite = false;
    num += (v - r) * (v - r);
    den += r * r;
  }
  const double rel = std::sqrt(num / std::max(den, 1e-300));
  OutputVerdict out;
  out.ok = finite && rel <= GemvMeasurer::kMaxRelError;
  if (!out.ok) {
    std::ostringstream os;
    os << (finite ? "relative L2 error " : "non-finite output, relative L2 error ") << rel;
    out.detail = os.str();
  }
  return out;
}

}  // namespace

profiler::LaunchFn GemvMeasurer::launch_of(const Candidate& c, std::size_t set) const {
  const Data& d = *d_;
  const GemvDataSet& m = d.sets.at(set);
  const GemvParams params = gemv_params_from(c);
  const VqGemvArgs a = gemv_args(d.format, int(d.problem.m), m.lo->p, m.hi->bytes, m.hi->p, m.cb->p,
                                 m.x->p, m.y->p, m.ws->p, m.ws->bytes);
  return [a, params](cudaStream_t s) { return vq_gemv(a, params, s); };
}

profiler::LaunchFn GemvMeasurer::launch_fn(const Candidate& c) {
  if (!d_) throw Error("GemvMeasurer::launch_fn before prepare");
  Data& d = *d_;
  if (d.sets.empty()) materialize(d);
  const std::string why = can_implement(d.format, int(d.problem.m), gemv_params_from(c), d.dev);
  if (!why.empty()) throw InputError("candidate " + c.key() + " cannot run: " + why);
  return launch_of(c, 0);
}

TrialResult GemvMeasurer::measure(const Candidate& c) {
  if (!d_) throw Error("GemvMeasurer::measure before prepare");
  Data& d = *d_;
  if (d.sets.empty()) materialize(d);
  const std::size_t outputs = std::size_t(d.problem.m) * std::size_t(d.problem.n);
  const std::string why = can_implement(d.format, int(d.problem.m), gemv_params_from(c), d.dev);
  if (!why.empty()) return refused_trial(c, why);
  TrialSteps steps;
  for (std::size_t i = 0; i < d.sets.size(); ++i) steps.launches.push_back(launch_of(c, i));
  steps.poison = [&](std::size_t i) {
    VQT_CUDA_CALL(cudaMemset(d.sets[i].y->p, 0xff, outputs * 2));
  };
  steps.check = [&](std::size_t i) {
    std::vector<std::uint16_t> y(outputs);
    VQT_CUDA_CALL(cudaMemcpy(y.data(), d.sets[i].y->p, y.size() * 2, cudaMemcpyDeviceToHost));
    return check_output(y, d.ref);
  };
  return time_trial(prof_, rule_, c, steps);
}

}  // namespace vqt::tuner
