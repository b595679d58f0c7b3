// vqtune profile: one candidate of a GEMV, GEMM or CQ decode-attention problem on this GPU: the
// model's bytes per level next to what the hardware counters (CUPTI range profiler) counted, and
// the predicted time next to the CUPTI-timed one. The data, the validation against the fp64
// reference and the timing are the tuner's (tuner::GemvMeasurer, GemmMeasurer,
// AttentionMeasurer); the counters come from profiler::CounterProfiler, after the timing, over the
// measurer's launch_fn (every kernel of the launch in one range: dequantize + cuBLAS for an
// unfused GEMM, split + combine for attention with several splits). Flags: cli/profile_args.hpp.
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/common.hpp"
#include "cli/profile_args.hpp"
#include "cli/profile_check.hpp"
#include "model/candidate.hpp"
#include "model/problem.hpp"
#include "vq/error.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include <cuda_runtime_api.h>

#include "cli/profile_report.hpp"
#include "db/repository.hpp"
#include "db/schema.hpp"
#include "kernels/attention_space.hpp"
#include "kernels/gemm_space.hpp"
#include "model/enumerate.hpp"
#include "profiler/ceilings.hpp"
#include "profiler/counters.hpp"
#include "tuner/attention_measurer.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/gemm_measurer.hpp"
#include "tuner/gemv_measurer.hpp"
#include "tuner/stored_model.hpp"
#endif

namespace vqt::cli {

namespace {

#ifdef VQT_CLI_HAS_CUDA

const char* kernels_name(Op op) {
  return op == Op::gemm ? "GEMM" : op == Op::attention_decode ? "decode-attention" : "GEMV";
}

// gemm / attention: a --candidate outside the kernels' own search space (host code, the one
// `vqtune tune` ranks and times) is bad input, found before the GPU is touched.
void check_kernel_space(const ProfileArgs& a) {
  const Problem& p = a.problem;
  if (p.op == Op::gemv) return;
  std::vector<Candidate> space;
  try {
    space = p.op == Op::gemm ? gemm_space_candidates(p) : attention_space_candidates(p);
  } catch (const InputError& e) {
    const std::string w = e.what();
    throw InputError(w.rfind("--", 0) == 0 ? w : (p.op == Op::gemm ? "--vq: " : "--kv: ") + w);
  }
  if (space.empty())
    throw InputError(std::string("the ") + kernels_name(p.op) +
                     " kernels have no configuration for " + p.key());
  if (!a.candidate) return;
  for (const Candidate& c : space)
    if (c == *a.candidate) return;
  throw InputError("--candidate: not one of the " + std::to_string(space.size()) + " " +
                   kernels_name(p.op) + " configurations of " + p.key() +
                   " (vqtune tune prints and stores their keys)");
}

// The op's measurer and its launch_fn (the launch measure() times).
struct OpMeasurer {
  std::unique_ptr<tuner::Measurer> meas;
  std::function<profiler::LaunchFn(const Candidate&)> launch_fn;
};

template <class M>
OpMeasurer make_measurer(profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                         std::uint64_t seed) {
  auto m = std::make_unique<M>(prof, rule, seed);
  M* raw = m.get();
  return {std::move(m), [raw](const Candidate& c) { return raw->launch_fn(c); }};
}

OpMeasurer make_measurer(Op op, profiler::Profiler& prof, const profiler::ConvergenceRule& rule,
                         std::uint64_t seed) {
  if (op == Op::gemm) return make_measurer<tuner::GemmMeasurer>(prof, rule, seed);
  if (op == Op::attention_decode) return make_measurer<tuner::AttentionMeasurer>(prof, rule, seed);
  return make_measurer<tuner::GemvMeasurer>(prof, rule, seed);
}

int run_profile(const ProfileArgs& a) {
  require_cuda_device(a.device);
  profiler::ProfilerOptions popt;
  popt.device = a.device;
  popt.data_sets = a.data_sets;
  profiler::Profiler prof(popt);
  const profiler::DeviceInfo info = profiler::device_info(a.device);
  const std::string spec_key = tuner::detect_spec_key(info.cc_major, info.cc_minor, info.sm_count,
                                                      std::int64_t(info.global_mem_bytes));
  if (spec_key.empty())
    throw Error("no built-in GPU spec matches " + info.name + " (vqtune gpus lists them)");

  // The model's inputs, as `vqtune tune` ranks with them.
  tuner::StoredModel model;
  model.spec = find_gpu(spec_key);
  std::string model_source = "datasheet ceilings, default coefficients";
  if (!a.db.empty()) {
    model = db::file_errors_as_input_errors([&] {
      auto repo = db::Repository::open(a.db, db::Access::read_only);
      db::check_integrity(repo.connection());
      return tuner::load_stored_model(repo, spec_key, find_gpu(spec_key));
    });
    model_source = std::string(model.measured_ceilings ? "measured" : "datasheet") + " ceilings, " +
                   (model.fitted_coefficients ? "fitted" : "default") + " coefficients (--db " +
                   a.db + ")";
  }

  profiler::ConvergenceRule rule;
  rule.max_time_s = a.cap_s;
  OpMeasurer op_meas = make_measurer(a.problem.op, prof, rule, a.seed);
  tuner::Measurer& meas = *op_meas.meas;
  std::string source;
  std::vector<double> cdf = meas.prepare(a.problem, &source);
  const PreparedProblem prep = prepare(a.problem, model.spec, model.coef, std::move(cdf), source);
  const std::vector<Candidate> space = meas.search_space(a.problem);  // empty: the model's (gemv)

  Candidate cand;
  std::string cand_source = "--candidate";
  if (a.candidate) {
    cand = *a.candidate;
    const std::string why = can_run(prep, cand);
    if (!why.empty()) throw InputError("--candidate: the model says it cannot run: " + why);
    if (!meas.implementable(cand))
      throw InputError(std::string("--candidate: the ") + kernels_name(a.problem.op) +
                       " kernels do not implement it for this problem");
  } else {
    bool found = false;
    for (const auto& r : space.empty() ? rank_candidates(prep) : rank_given_candidates(prep, space))
      if (r.prediction.valid && meas.implementable(r.candidate)) {
        cand = r.candidate;
        found = true;
        break;
      }
    if (!found)
      throw Error("no candidate of " + a.problem.key() + " is implemented by the kernels");
    cand_source = "model top-1 (implementable)";
  }
  const Prediction pred = predict(prep, cand);

  // Validate and time (the tuner's measurement), then count.
  std::cerr << "profile: " << a.problem.key() << " on " << info.name << ": validating and timing\n";
  const tuner::TrialResult t = meas.measure(cand);
  if (t.status != db::Status::ok)
    throw Error("candidate " + cand.key() + ": " + db::to_string(t.status) +
                (t.detail.empty() ? "" : ": " + t.detail));

  ProfileHeader h;
  h.problem = a.problem.key();
  h.candidate = cand.key();
  h.candidate_source = cand_source;
  h.device =
      info.name + " (" + info.uuid + "), driver " + info.driver + ", CUDA " + info.cuda_version;
  h.gpu_key = spec_key;
  h.model_source = model_source;
  h.timer = to_string(prof.timer_kind());
  if (!prof.cupti_fallback_reason().empty())
    h.timer += " (CUPTI not used: " + prof.cupti_fallback_reason() + ")";
  h.rel_stdev = t.rel_stdev;
  h.samples = t.count;
  h.set_median_s = t.set_median_s;
  h.compulsory_hbm_bytes = prep.compulsory_hbm_bytes;
  h.note = range_note(a.problem, cand);

  std::optional<profiler::Counts> counts;
  std::cerr << "profile: counting (" << a.replay << " replay)\n";
  try {
    profiler::CounterOptions copt;
    copt.device = a.device;
    copt.replay = profiler::parse_replay_mode(a.replay);
    copt.raw_metrics = a.metrics;
    profiler::CounterProfiler counters(copt);
    h.unavailable_metrics = counters.unavailable();
    counts = counters.count(op_meas.launch_fn(cand));
    std::ostringstream cs;
    cs << a.replay << " replay, " << counts->passes << " passes, " << counts->ranges
       << " range(s), chip " << counts->chip;
    h.counters = cs.str();
  } catch (const profiler::CountersUnavailable& e) {
    h.counters_error = e.what();
  }

  const auto rows = profile_rows(prep, cand, pred, t.median_s, counts ? &*counts : nullptr);
  h.row_notes = row_notes(rows);
  if (a.format == Format::json)
    std::cout << profile_json(h, rows, counts ? &*counts : nullptr).dump(2) << "\n";
  else
    print_profile_table(std::cout, h, rows, counts ? &*counts : nullptr);
  if (!h.counters_error.empty()) {
    std::cerr << "vqtune profile: " << h.counters_error << "\n";
    return 1;
  }
  return 0;
}

#endif

}  // namespace

int cmd_profile(const Args& args) {
  return guarded("profile", [&]() -> int {
    const po::options_description desc = profile_flags();
    const auto vm = parse(args, desc);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (wants_metric_check(vm)) return run_metric_check(vm);
    const ProfileArgs a = parse_profile_args(vm);
#ifdef VQT_CLI_HAS_CUDA
    check_kernel_space(a);
    return run_profile(a);
#else
    require_cuda_device(a.device);
    return 2;
#endif
  });
}

}  // namespace vqt::cli
