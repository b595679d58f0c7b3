#include "tuner/attention_measurer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "kernels/attention_decode.hpp"
#include "kernels/attention_layout.hpp"
#include "kernels/attention_space.hpp"
#include "kernels/device_tensor.hpp"
#include "kernels/gemm_attention_candidate.hpp"
#include "model/cost_model.hpp"
#include "profiler/cuda_check.hpp"
#include "tuner/time_trial.hpp"
#include "tuner/validate.hpp"

namespace vqt::tuner {

struct AttentionDataSet {
  DeviceBuffer<std::uint8_t> kc, vc;
  DeviceBuffer<std::uint16_t> kb, vb, q, out;
  DeviceBuffer<std::uint8_t> ws;
};

struct AttentionMeasurer::Data {
  Problem problem;
  AttentionShape shape;
  std::vector<double> cdf;
  std::vector<Candidate> space;
  bool built = false;
  std::vector<double> ref;             // [batch][q_heads][head_dim]
  std::vector<AttentionDataSet> sets;  // copies of the device data (profiler.hpp: data sets)
};

AttentionMeasurer::AttentionMeasurer(profiler::Profiler& prof,
                                     const profiler::ConvergenceRule& rule, std::uint64_t seed,
                                     double zipf_exponent)
    : prof_(prof), rule_(rule), seed_(seed), zipf_(zipf_exponent) {}

AttentionMeasurer::~AttentionMeasurer() = default;

db::Timer AttentionMeasurer::timer() const {
  return timer_of(prof_);
}

std::vector<double> AttentionMeasurer::prepare(const Problem& p, std::string* source) {
  if (p.op != Op::attention_decode)
    throw InputError("the attention measurer takes attention_decode problems, got " + p.key());
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
  d->shape = attention_shape_of(p);  // InputError for non-CQ formats
  d->cdf = zipf_sorted_cdf(p.vq.stored_entries(), zipf_);
  d->space = attention_space_candidates(p);
  d_ = d.get();
  cache_[key] = std::move(d);
  return d_->cdf;
}

std::vector<Candidate> AttentionMeasurer::search_space(const Problem& p) const {
  if (d_ && d_->problem.key() == p.key()) return d_->space;
  return attention_space_candidates(p);
}

bool AttentionMeasurer::implementable(const Candidate& c) const {
  return d_ && bool(can_implement_attention(d_->shape, attention_params_from(c)));
}

void AttentionMeasurer::materialize(Data& d) {
  const auto t0 = std::chrono::steady_clock::now();
  const Problem& p = d.problem;
  const AttentionShape& s = d.shape;
  const KvCacheVq kv =
      zipf_kv_cache(p.vq, p.batch, p.kv_heads, p.context, p.head_dim, d.cdf, seed_);
  std::vector<float> qf;
  std::vector<std::uint16_t> qh;
  random_halves(std::size_t(p.batch * p.q_heads * p.head_dim), seed_ ^ 0x9e11ull, qf, qh);
  d.ref = reference_cq_attention(qf.data(), p.q_heads, kv, 1.0 / std::sqrt(double(p.head_dim)));

  // Device layouts (attention_layout.hpp): codes in 16-token tiles, codebooks entry-major.
  const std::int64_t groups = kv.groups(), seqs = p.batch * p.kv_heads;
  std::vector<std::uint8_t> kp(std::size_t(seqs * s.capacity * groups), 0), vp(kp.size(), 0);
  parallel_for(seqs, [&](std::int64_t seq) {
    const std::int64_t b = seq / p.kv_heads, h = seq % p.kv_heads;
    for (std::int64_t t = 0; t < p.context; ++t)
      for (std::int64_t g = 0; g < groups; ++g) {
        const std::size_t src = std::size_t((seq * p.context + t) * groups + g);
        const std::size_t dst =
            std::size_t(cq_code_offset(b, h, t, g, p.kv_heads, s.capacity, groups));
        kp[dst] = kv.k_codes[src];
        vp[dst] = kv.v_codes[src];
      }
  });
  const std::vector<std::uint16_t> kb =
      pack_cq_codebooks(kv.k_codebooks.data(), p.kv_heads, groups, p.vq.vec_size);
  const std::vector<std::uint16_t> vb =
      pack_cq_codebooks(kv.v_codebooks.data(), p.kv_heads, groups, p.vq.vec_size);
  std::size_t ws = 0;
  for (const Candidate& c : d.space)
    ws = std::max(ws, attention_workspace_bytes(s, attention_params_from(c)));
  d.sets.resize(std::size_t(prof_.options().data_sets));
  for (AttentionDataSet& set : d.sets) {
    set.kc = DeviceBuffer<std::uint8_t>(kp);
    set.vc = DeviceBuffer<std::uint8_t>(vp);
    set.kb = DeviceBuffer<std::uint16_t>(kb);
    set.vb = DeviceBuffer<std::uint16_t>(vb);
    set.q = DeviceBuffer<std::uint16_t>(qh);
    set.out = DeviceBuffer<std::uint16_t>(qh.size());
    set.ws = DeviceBuffer<std::uint8_t>(ws);
  }
  d.built = true;
  setup_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void AttentionMeasurer::perturb_reference(double factor) {
  if (!d_) throw Error("AttentionMeasurer::perturb_reference before prepare");
  if (!d_->built) materialize(*d_);
  for (auto& r : d_->ref) r *= factor;
}

profiler::LaunchFn AttentionMeasurer::launch_of(const Candidate& c, std::size_t set) {
  Data& d = *d_;
  AttentionDataSet& m = d.sets.at(set);
  const AttentionParams params = attention_params_from(c);
  const std::size_t need = attention_workspace_bytes(d.shape, params);
  if (need > m.ws.bytes()) m.ws = DeviceBuffer<std::uint8_t>(need);
  const CqKvView kv{m.kc.get(), m.vc.get(), m.kb.get(), m.vb.get()};
  return [shape = d.shape, params, q = m.q.get(), kv, out = m.out.get(), ws = m.ws.get(),
          ws_bytes = m.ws.bytes()](cudaStream_t s) {
    return attention_decode_cq(shape, params, q, kv, out, ws, ws_bytes, s);
  };
}

profiler::LaunchFn AttentionMeasurer::launch_fn(const Candidate& c) {
  if (!d_) throw Error("AttentionMeasurer::launch_fn before prepare");
  if (!d_->built) materialize(*d_);
  const AttentionSupport ok = can_implement_attention(d_->shape, attention_params_from(c));
  if (!ok) throw InputError("candidate " + c.key() + " cannot run: " + ok.reason);
  return launch_of(c, 0);
}

TrialResult AttentionMeasurer::measure(const Candidate& c) {
  if (!d_) throw Error("AttentionMeasurer::measure before prepare");
  Data& d = *d_;
  if (!d.built) materialize(d);
  const AttentionParams params = attention_params_from(c);
  const AttentionSupport ok = can_implement_attention(d.shape, params);
  if (!ok) return refused_trial(c, ok.reason);
  TrialSteps steps;
  for (std::size_t i = 0; i < d.sets.size(); ++i) steps.launches.push_back(launch_of(c, i));
  const std::size_t need = attention_workspace_bytes(d.shape, params);
  steps.poison = [&](std::size_t i) {
    d.sets[i].out.fill_bytes(0xFF);
    if (need > 0) VQT_CUDA_CALL(cudaMemset(d.sets[i].ws.get(), 0xFF, need));
  };
  steps.check = [&](std::size_t i) {
    const std::vector<std::uint16_t> y = d.sets[i].out.download();
    const OutputCheck chk = check_half_output(y.data(), d.ref, kMaxRelError);
    return OutputVerdict{chk.ok, chk.detail};
  };
  return time_trial(prof_, rule_, c, steps);
}

}  // namespace vqt::tuner
