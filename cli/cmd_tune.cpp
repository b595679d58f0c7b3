// vqtune tune: autotune problems (from flags or model suites) on this GPU into the database.
// Measuring needs CUDA; the search logic lives in tuner/ (strategy, tune loop, shard).
#include <chrono>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/common.hpp"
#include "vq/error.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include "db/repository.hpp"
#include "model/coefficients.hpp"
#include "profiler/ceilings.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/gemv_measurer.hpp"
#include "tuner/shard.hpp"
#include "tuner/stored_model.hpp"
#endif

namespace vqt::cli {

#ifdef VQT_CLI_HAS_CUDA
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<std::int64_t> split_ints(const std::string& s, const char* flag) {
  std::vector<std::int64_t> out;
  for (const auto& t : split(s)) {
    try {
      std::size_t used = 0;
      out.push_back(std::stoll(t, &used));
      if (used != t.size()) throw std::invalid_argument(t);
    } catch (const std::logic_error&) {
      throw InputError(std::string(flag) + ": '" + t + "' is not an integer");
    }
  }
  return out;
}

int run_tune(const Args& args) {
  po::options_description desc("vqtune tune: autotune problems on this GPU into the database");
  desc.add_options()("help,h", "this help")("model", po::value<std::string>(),
                                            "model suite(s), e.g. llama-7b,llama-3-8b")(
      "op", po::value<std::string>()->default_value("gemv"), "op (gemv is measured so far)")(
      "vq", po::value<std::string>()->default_value("quip#-4,aqlm-3,gptvq-2,aqlm-2x8,aqlm-1x16"),
      "VQ presets or vq:v,b,r, comma-separated")(
      "batch", po::value<std::string>()->default_value("1,16"), "batch sizes, comma-separated")(
      "n", po::value<std::int64_t>(), "one problem: output features (with --k, no --model)")(
      "k", po::value<std::int64_t>(), "one problem: input features")(
      "strategy", po::value<std::string>()->default_value("model-top-k"),
      "exhaustive | model-top-k | random")("top-k", po::value<int>()->default_value(8),
                                           "model-top-k: the model's best k")(
      "random-extra", po::value<int>()->default_value(2), "model-top-k: plus this many random")(
      "random-count", po::value<int>()->default_value(10), "random: this many")(
      "seed", po::value<std::uint64_t>()->default_value(1), "seed of the random picks and data")(
      "shard", po::value<std::string>()->default_value("0/1"), "I/N: this shard of the suite")(
      "db", po::value<std::string>()->default_value("vqtune.db"), "database file (created)")(
      "no-resume", "re-time candidates already in the database for this GPU and build")(
      "cap-s", po::value<double>()->default_value(1.0), "time cap per candidate, seconds")(
      "device", po::value<int>()->default_value(0), "CUDA device index");
  const auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const Op op = parse_op(vm["op"].as<std::string>());
  if (op != Op::gemv)
    throw InputError(
        "--op: only gemv is measured by this build (gemm / attention_decode "
        "measurers are not written yet)");
  std::vector<Problem> suite;
  if (vm.count("model")) {
    if (vm.count("n") || vm.count("k")) throw InputError("--model excludes --n / --k");
    tuner::SuiteSpec spec;
    spec.models = split(vm["model"].as<std::string>());
    spec.ops = {op};
    spec.vq = split(vm["vq"].as<std::string>());
    spec.batches = split_ints(vm["batch"].as<std::string>(), "--batch");
    suite = tuner::suite_problems(spec);
  } else {
    if (!vm.count("n") || !vm.count("k")) throw InputError("give --model, or --n and --k");
    for (const auto& v : split(vm["vq"].as<std::string>()))
      for (std::int64_t b : split_ints(vm["batch"].as<std::string>(), "--batch")) {
        const Problem p = Problem::matmul(op, parse_vq(v), b, vm["n"].as<std::int64_t>(),
                                          vm["k"].as<std::int64_t>());
        p.validate();
        suite.push_back(p);
      }
  }
  const tuner::Shard shard = tuner::parse_shard(vm["shard"].as<std::string>());
  const std::vector<Problem> problems = tuner::shard_problems(suite, shard);
  const double cap_s = vm["cap-s"].as<double>();
  if (!(cap_s > 0 && cap_s <= 60)) throw InputError("--cap-s must be in (0, 60] seconds");

  profiler::ProfilerOptions popt;
  popt.device = vm["device"].as<int>();
  profiler::Profiler prof(popt);
  const profiler::DeviceInfo info = profiler::device_info(popt.device);
  auto repo = db::Repository::open(vm["db"].as<std::string>(), db::Access::create);
  tuner::TuneSettings s;
  s.gpu = {info.uuid,
           info.name,
           info.cc_major,
           info.cc_minor,
           info.driver,
           info.cuda_version,
           tuner::detect_spec_key(info.cc_major, info.cc_minor, info.sm_count,
                                  std::int64_t(info.global_mem_bytes))};
  if (s.gpu.spec_key.empty())
    throw Error("no built-in GPU spec matches " + info.name + " (vqtune gpus lists them)");
  const tuner::StoredModel model =
      tuner::load_stored_model(repo, s.gpu.gpu_key(), find_gpu(s.gpu.spec_key));
  s.spec = model.spec;
  s.coef = model.coef;
  s.model_version = model.model_version;
  s.strategy = vm["strategy"].as<std::string>();
  s.strategy_options.top_k = vm["top-k"].as<int>();
  s.strategy_options.random_extra = vm["random-extra"].as<int>();
  s.strategy_options.random_count = vm["random-count"].as<int>();
  s.strategy_options.seed = vm["seed"].as<std::uint64_t>();
  s.resume = !vm.count("no-resume");
  s.repo = &repo;
  std::string joined;
  for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
  db::RunInfo run = db::Repository::this_process_run("tune", "tune " + joined);
  s.build_commit = run.build_commit;
  s.run_id = repo.begin_run(run);
  s.progress = &std::cerr;

  profiler::ConvergenceRule rule;
  rule.max_time_s = cap_s;
  tuner::GemvMeasurer meas(prof, rule, s.strategy_options.seed);
  std::cerr << "tune: " << problems.size() << " problems (shard " << shard.index << "/"
            << shard.count << " of " << suite.size() << ") on " << info.name << ", timer "
            << to_string(prof.timer_kind()) << ", strategy " << s.strategy << ", ceilings "
            << (model.measured_ceilings ? "measured" : "datasheet (run vqtune measure first)")
            << "\n";
  const auto t0 = std::chrono::steady_clock::now();
  std::cout << std::left << std::setw(48) << "problem" << std::setw(8) << "timed" << std::setw(8)
            << "of" << std::setw(9) << "resumed" << std::setw(12) << "best us" << std::setw(12)
            << "top1/best"
            << "winner\n";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << "tune: [" << (i + 1) << "/" << problems.size() << "] " << problems[i].key();
    if (i > 0)
      std::cerr << ", about " << std::fixed << std::setprecision(0)
                << spent / double(i) * double(problems.size() - i) << " s left";
    std::cerr << "\n";
    const auto out = tuner::tune_problem(problems[i], meas, s);
    std::ostringstream best, ratio;
    std::string winner = "(none ok)";
    if (out.winner) {
      const auto& w = out.trials[*out.winner];
      best << std::fixed << std::setprecision(2) << w.median_s * 1e6;
      winner = w.candidate.key();
      for (const auto& t : out.trials)
        if (t.candidate == out.model_top1 && t.status == db::Status::ok)
          ratio << std::fixed << std::setprecision(3) << t.median_s / w.median_s;
    }
    std::cout << std::left << std::setw(48) << problems[i].key() << std::setw(8)
              << out.trials.size() - out.resumed << std::setw(8) << out.runnable << std::setw(9)
              << out.resumed << std::setw(12) << best.str() << std::setw(12)
              << (ratio.str().empty() ? "-" : ratio.str()) << winner << "\n";
  }
  repo.finish_run(s.run_id);
  const auto rows = repo.recompute_heuristics();
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "tuned " << problems.size() << " problems in " << std::fixed << std::setprecision(1)
            << total << " s; " << rows << " heuristics rows in " << vm["db"].as<std::string>()
            << "\n";
  return 0;
}

}  // namespace
#endif

int cmd_tune(const Args& args) {
#ifdef VQT_CLI_HAS_CUDA
  return guarded("tune", [&]() -> int { return run_tune(args); });
#else
  (void)args;
  std::cerr << "vqtune tune: this build has no CUDA: tuning times real kernels and needs a build "
               "with VQT_ENABLE_CUDA=ON and a GPU\n";
  return 1;
#endif
}

}  // namespace vqt::cli
