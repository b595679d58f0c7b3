// vqtune profile: one GEMV candidate on this GPU: the model's bytes per level next to what the
// hardware counters (CUPTI range profiler) counted, and the predicted time next to the CUPTI-timed
// one. The data, the validation against the fp64 reference and the timing are the tuner's
// (tuner::GemvMeasurer); the counters come from profiler::CounterProfiler, after the timing.
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/common.hpp"
#include "model/candidate.hpp"
#include "model/problem.hpp"
#include "vq/error.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include <cuda_runtime_api.h>

#include "cli/profile_report.hpp"
#include "db/repository.hpp"
#include "db/schema.hpp"
#include "model/enumerate.hpp"
#include "profiler/ceilings.hpp"
#include "profiler/counters.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/gemv_measurer.hpp"
#include "tuner/stored_model.hpp"
#endif

namespace vqt::cli {

namespace {

constexpr int kMaxGemvBatch = 16;  // kernels/gemv_params.hpp kGemvMaxBatch

struct ProfileArgs {
  Problem problem;
  std::optional<Candidate> candidate;
  std::string replay = "user";
  std::string db;
  std::uint64_t seed = 1;
  double cap_s = 1.0;
  int device = 0;
  Format format = Format::table;
};

po::options_description profile_flags() {
  po::options_description desc(
      "vqtune profile: one GEMV candidate on this GPU, the model's bytes per level next to the "
      "hardware counters");
  desc.add_options()("help,h", "this help")("op", po::value<std::string>()->default_value("gemv"),
                                            "operation (gemv is profiled so far)")(
      "vq", po::value<std::string>(), "VQ preset or vq:v,b,r (required)")(
      "n", po::value<std::int64_t>(), "output features (required)")("k", po::value<std::int64_t>(),
                                                                    "input features (required)")(
      "batch", po::value<std::int64_t>()->default_value(1), "batch, 1..16")(
      "candidate", po::value<std::string>(),
      "candidate key (vqtune tune / export print them); default: the model's top-1 that the "
      "kernels implement")(
      "db", po::value<std::string>(),
      "read the stored ceilings and coefficients of this GPU class (read-only)")(
      "replay", po::value<std::string>()->default_value("user"),
      "user (run the launch once per pass, L2 cleaned before each) | kernel (CUPTI replays each "
      "kernel)")("seed", po::value<std::uint64_t>()->default_value(1), "seed of the data")(
      "cap-s", po::value<double>()->default_value(1.0), "time cap of the timing, seconds")(
      "device", po::value<int>()->default_value(0), "CUDA device index");
  add_format_flags(desc);
  return desc;
}

// Every flag checked before a GPU is touched, so bad input is exit 2 on any machine.
ProfileArgs parse_profile_args(const po::variables_map& vm) {
  ProfileArgs a;
  const Op op = parse_op(vm["op"].as<std::string>());
  if (op != Op::gemv)
    throw InputError("--op: only gemv can be profiled by this build (accepted: gemv)");
  if (!vm.count("vq")) throw InputError("--vq is required (a preset, e.g. aqlm-3, or vq:v,b,r)");
  if (!vm.count("n") || !vm.count("k")) throw InputError("--n and --k are required");
  const std::int64_t batch = vm["batch"].as<std::int64_t>();
  if (batch < 1 || batch > kMaxGemvBatch)
    throw InputError("--batch: " + std::to_string(batch) + " is out of range (accepted: 1..16)");
  a.problem = Problem::matmul(op, parse_vq(vm["vq"].as<std::string>()), batch,
                              vm["n"].as<std::int64_t>(), vm["k"].as<std::int64_t>());
  a.problem.validate();
  if (vm.count("candidate")) {
    try {
      a.candidate = Candidate::from_key(vm["candidate"].as<std::string>());
    } catch (const InputError& e) {
      throw InputError(std::string("--candidate: ") + e.what());
    }
  }
  a.replay = vm["replay"].as<std::string>();
  if (a.replay != "user" && a.replay != "kernel")
    throw InputError("--replay: '" + a.replay + "' is not a replay mode (accepted: user, kernel)");
  if (vm.count("db")) a.db = vm["db"].as<std::string>();
  a.seed = vm["seed"].as<std::uint64_t>();
  a.cap_s = vm["cap-s"].as<double>();
  if (!(a.cap_s > 0 && a.cap_s <= 60)) throw InputError("--cap-s must be in (0, 60] seconds");
  a.device = vm["device"].as<int>();
  if (a.device < 0) throw InputError("--device must be >= 0");
  a.format = chosen_format(vm);
  if (a.format == Format::csv) throw InputError("--csv: not offered by profile (accepted: --json)");
  return a;
}

#ifdef VQT_CLI_HAS_CUDA

int run_profile(const ProfileArgs& a) {
  require_cuda_device(a.device);
  profiler::ProfilerOptions popt;
  popt.device = a.device;
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
  tuner::GemvMeasurer meas(prof, rule, a.seed);
  std::string source;
  std::vector<double> cdf = meas.prepare(a.problem, &source);
  const PreparedProblem prep = prepare(a.problem, model.spec, model.coef, std::move(cdf), source);

  Candidate cand;
  std::string cand_source = "--candidate";
  if (a.candidate) {
    cand = *a.candidate;
    const std::string why = can_run(prep, cand);
    if (!why.empty()) throw InputError("--candidate: the model says it cannot run: " + why);
    if (!meas.implementable(cand))
      throw InputError("--candidate: the GEMV kernels do not implement it for this problem");
  } else {
    bool found = false;
    for (const auto& r : rank_candidates(prep))
      if (meas.implementable(r.candidate)) {
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
  h.compulsory_hbm_bytes = prep.compulsory_hbm_bytes;

  std::optional<profiler::Counts> counts;
  std::cerr << "profile: counting (" << a.replay << " replay)\n";
  try {
    profiler::CounterOptions copt;
    copt.device = a.device;
    copt.replay = profiler::parse_replay_mode(a.replay);
    profiler::CounterProfiler counters(copt);
    h.unavailable_metrics = counters.unavailable();
    counts = counters.count(meas.launch_fn(cand));
    std::ostringstream cs;
    cs << a.replay << " replay, " << counts->passes << " passes, " << counts->ranges
       << " range(s), chip " << counts->chip;
    h.counters = cs.str();
  } catch (const profiler::CountersUnavailable& e) {
    h.counters_error = e.what();
  }

  const auto rows = profile_rows(prep, pred, t.median_s, counts ? &*counts : nullptr);
  if (a.format == Format::json)
    std::cout << profile_json(h, rows, counts ? &*counts : nullptr).dump(2) << "\n";
  else
    print_profile_table(std::cout, h, rows);
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
    const ProfileArgs a = parse_profile_args(vm);
#ifdef VQT_CLI_HAS_CUDA
    return run_profile(a);
#else
    require_cuda_device(a.device);
    return 2;
#endif
  });
}

}  // namespace vqt::cli
