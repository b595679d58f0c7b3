// vqtune tune: autotune problems (from flags or model suites) on this GPU into the database.
// Measuring needs CUDA; the search logic lives in tuner/ (strategy, tune loop, shard).
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/common.hpp"
#include "cli/tune_table.hpp"
#include "vq/error.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include <map>
#include <optional>

#include "db/repository.hpp"
#include "model/coefficients.hpp"
#include "profiler/ceilings.hpp"
#include "tuner/attention_measurer.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/gemm_measurer.hpp"
#include "tuner/gemv_measurer.hpp"
#include "tuner/op_suite.hpp"
#include "tuner/shard.hpp"
#include "tuner/stored_model.hpp"
#include "tuner/winner.hpp"
#endif

namespace vqt::cli {

#ifdef VQT_CLI_HAS_CUDA
namespace {

struct OpTotals {
  std::size_t problems = 0, timed = 0, resumed = 0, ok = 0, failed = 0;
  std::int64_t samples = 0;  // timed samples of the trials timed in this run
  double elapsed_s = 0;
};

// gemm: the dequantize-then-cuBLAS baseline is timed for every problem (resumed like any trial),
// whatever the strategy picked, and joins the winner's choice (see GemmMeasurer::baseline).
void time_baseline(const Problem& p, tuner::Measurer& meas, const tuner::TuneSettings& s,
                   std::int64_t gpu_id, tuner::ProblemOutcome& out) {
  const Candidate base = tuner::GemmMeasurer::baseline(p);
  for (const auto& t : out.trials)
    if (t.candidate == base) return;
  if (!meas.implementable(base)) return;
  std::optional<tuner::TrialResult> got;
  if (s.resume) got = tuner::stored_result(*s.repo, s.gpu.uuid, p, base, s.build_commit);
  if (got) {
    ++out.resumed;
  } else {
    got = meas.measure(base);
    got->candidate = base;
    tuner::record_trial(*s.repo, s.run_id, gpu_id, p, *got, meas.timer());
  }
  std::cerr << "tune:   baseline " << db::to_string(got->status);
  if (got->status == db::Status::ok)
    std::cerr << " " << std::fixed << std::setprecision(2) << got->median_s * 1e6 << " us";
  if (got->resumed) std::cerr << " (from the database)";
  std::cerr << "  " << base.key() << "\n";
  out.trials.push_back(*got);
  out.winner = tuner::pick_winner(out.trials);
}

int run_tune(const Args& args) {
  po::options_description desc("vqtune tune: autotune problems on this GPU into the database");
  desc.add_options()("help,h", "this help")("model", po::value<std::string>(),
                                            "model suite(s), e.g. llama-7b,llama-3-8b")(
      "op", po::value<std::string>(),
      "ops, comma-separated: gemv, gemm, attention (default with --model: all three; "
      "else gemv)")(
      "vq", po::value<std::string>()->default_value("quip#-4,aqlm-3,gptvq-2,aqlm-2x8,aqlm-1x16"),
      "weight presets (gemv, gemm) or vq:v,b,r, comma-separated")(
      "kv", po::value<std::string>()->default_value("cq-4,cq-2"),
      "KV-cache presets of attention, comma-separated")(
      "batch", po::value<std::string>()->default_value("1,16"),
      "gemv and attention batch sizes, comma-separated")(
      "tokens", po::value<std::string>()->default_value("512"),
      "gemm (prefill) tokens, comma-separated, >= 32")(
      "context", po::value<std::string>()->default_value("4096"),
      "attention context lengths, comma-separated")(
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
      "coefficients", po::value<std::string>(),
      "rank with these model coefficients (JSON, e.g. bench/results/data/h100-coefficients.json "
      "fitted on another H100) and store them in the database for this GPU class")(
      "device", po::value<int>()->default_value(0), "CUDA device index");
  add_data_sets_flag(desc);
  const auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  tuner::TuneSetSpec set;
  if (vm.count("model")) {
    if (vm.count("n") || vm.count("k")) throw InputError("--model excludes --n / --k");
    set.models = tuner::split_list(vm["model"].as<std::string>());
    if (set.models.empty()) throw InputError("--model: empty list");
  } else {
    if (vm.count("n")) set.n = vm["n"].as<std::int64_t>();
    if (vm.count("k")) set.k = vm["k"].as<std::int64_t>();
  }
  set.ops =
      tuner::parse_op_list(vm.count("op") ? vm["op"].as<std::string>()
                                          : (vm.count("model") ? "gemv,gemm,attention" : "gemv"));
  set.weight_vq = tuner::split_list(vm["vq"].as<std::string>());
  set.kv_vq = tuner::split_list(vm["kv"].as<std::string>());
  if (set.weight_vq.empty()) throw InputError("--vq: empty list");
  if (set.kv_vq.empty()) throw InputError("--kv: empty list");
  set.batches = tuner::parse_int_list(vm["batch"].as<std::string>(), "--batch");
  set.tokens = tuner::parse_int_list(vm["tokens"].as<std::string>(), "--tokens", 32);
  set.contexts = tuner::parse_int_list(vm["context"].as<std::string>(), "--context");
  const std::vector<Problem> suite = tuner::tune_problem_set(set);
  const tuner::Shard shard = tuner::parse_shard(vm["shard"].as<std::string>());
  const std::vector<Problem> problems = tuner::shard_problems(suite, shard);
  const double cap_s = vm["cap-s"].as<double>();
  if (!(cap_s > 0 && cap_s <= 60)) throw InputError("--cap-s must be in (0, 60] seconds");
  const int data_sets = data_sets_flag(vm);
  const std::string strategy = vm["strategy"].as<std::string>();
  if (strategy != "exhaustive" && strategy != "model-top-k" && strategy != "random")
    throw InputError("--strategy: unknown '" + strategy +
                     "'; accepted: exhaustive, model-top-k, random");

  std::optional<ModelCoefficients> given_coef;
  std::string given_label;
  if (vm.count("coefficients")) {
    const std::string path = vm["coefficients"].as<std::string>();
    given_coef = ModelCoefficients::load(path);
    given_label = "file:" + std::filesystem::path(path).filename().string();
  }

  profiler::ProfilerOptions popt;
  popt.device = vm["device"].as<int>();
  popt.data_sets = data_sets;
  require_cuda_device(popt.device);
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
  if (given_coef) repo.save_coefficients(s.gpu.gpu_key(), given_label, given_coef->to_json());
  const tuner::StoredModel model =
      tuner::load_stored_model(repo, s.gpu.gpu_key(), find_gpu(s.gpu.spec_key));
  s.spec = model.spec;
  s.coef = model.coef;
  s.model_version = model.model_version;
  s.strategy = strategy;
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
  tuner::GemvMeasurer gemv(prof, rule, s.strategy_options.seed);
  tuner::GemmMeasurer gemm(prof, rule, s.strategy_options.seed);
  tuner::AttentionMeasurer attention(prof, rule, s.strategy_options.seed);
  tuner::OpRouter meas;
  meas.add(Op::gemv, &gemv);
  meas.add(Op::gemm, &gemm);
  meas.add(Op::attention_decode, &attention);
  std::cerr << "tune: " << problems.size() << " problems (shard " << shard.index << "/"
            << shard.count << " of " << suite.size() << ") on " << info.name << ", timer "
            << to_string(prof.timer_kind()) << ", " << data_sets << " data set(s), strategy "
            << s.strategy << ", ceilings "
            << (model.measured_ceilings ? "measured" : "datasheet (run vqtune measure first)")
            << "\n";
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> keys;
  for (const auto& p : problems) keys.push_back(p.key());
  const TuneTable table(keys);
  std::cout << table.header() << "\n";
  std::map<Op, OpTotals> totals;
  const std::int64_t gemm_gpu_id = repo.upsert_gpu(s.gpu);
  for (std::size_t i = 0; i < problems.size(); ++i) {
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << "tune: [" << (i + 1) << "/" << problems.size() << "] " << problems[i].key();
    if (i > 0)
      std::cerr << ", about " << std::fixed << std::setprecision(0)
                << spent / double(i) * double(problems.size() - i) << " s left";
    std::cerr << "\n";
    auto out = tuner::tune_problem(problems[i], meas, s);
    if (problems[i].op == Op::gemm) time_baseline(problems[i], meas, s, gemm_gpu_id, out);
    OpTotals& tot = totals[problems[i].op];
    ++tot.problems;
    tot.resumed += out.resumed;
    tot.timed += out.trials.size() - out.resumed;
    tot.elapsed_s += out.elapsed_s;
    for (const auto& t : out.trials) {
      (t.status == db::Status::ok ? tot.ok : tot.failed) += 1;
      if (!t.resumed) tot.samples += t.count;
    }
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
    std::cout << table.row(keys[i], out.trials.size() - out.resumed, out.runnable, out.resumed,
                           best.str(), ratio.str().empty() ? "-" : ratio.str(), winner)
              << "\n";
  }
  repo.finish_run(s.run_id);
  const auto rows = repo.recompute_heuristics();
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& [op, t] : totals)
    std::cout << "op " << to_string(op) << ": " << t.problems << " problems, " << t.timed
              << " timed, " << t.resumed << " from the database, " << t.ok << " ok, " << t.failed
              << " failed, " << t.samples << " samples, " << std::fixed << std::setprecision(1)
              << t.elapsed_s << " s\n";
  std::cout << "setup (data, references, uploads): gemm " << std::fixed << std::setprecision(1)
            << gemm.setup_s() << " s, attention " << attention.setup_s() << " s\n";
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
  std::cerr << "vqtune tune: no CUDA device: this build has no CUDA (VQT_ENABLE_CUDA=OFF)\n";
  return 2;
#endif
}

}  // namespace vqt::cli
