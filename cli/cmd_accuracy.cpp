// vqtune accuracy: the cost model against the measurements in a database (tuner/accuracy.hpp):
// MAPE and p90 error of predicted time, Spearman per problem, regret of the model's top-1.
// Needs no GPU: it re-predicts what was measured.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/common.hpp"
#include "db/repository.hpp"
#include "model/cost_model.hpp"
#include "tuner/accuracy.hpp"
#include "tuner/calibrate.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/op_suite.hpp"
#include "tuner/stored_model.hpp"
#include "vq/error.hpp"

namespace vqt::cli {

namespace {

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// One row per measured candidate with the model's terms, for residual analysis.
void write_points(const std::string& path, const std::vector<tuner::MeasuredProblem>& train,
                  const std::vector<tuner::MeasuredProblem>& test, const GpuSpec& spec,
                  const ModelCoefficients& coef, double zipf) {
  if (std::filesystem::exists(path)) throw InputError("--points: " + path + " exists");
  std::ofstream out(path);
  if (!out) throw InputError("--points: cannot write " + path);
  out << "problem,candidate,held_out,measured_s,predicted_s,bound,hbm_s,l2_s,smem_s,compute_s,"
         "latency_s,fill_s,reduction_s,launch_s,blocks_per_sm,waves,conflict_factor,l1_hit\n";
  out << std::setprecision(6);
  for (const auto* set : {&train, &test})
    for (const auto& mp : *set) {
      const PreparedProblem prep = prepare(
          mp.problem, spec, coef, zipf_sorted_cdf(mp.problem.vq.stored_entries(), zipf), "zipf");
      for (const auto& [c, t] : mp.measured_s) {
        const Prediction r = predict(prep, c);
        out << mp.problem.key() << ",\"" << c.key() << "\"," << (set == &test ? 1 : 0) << "," << t
            << "," << r.time_s << "," << (r.valid ? to_string(r.bound) : "invalid") << ","
            << r.hbm_s << "," << r.l2_s << "," << r.smem_s << "," << r.compute_s << ","
            << r.latency_s << "," << r.fill_s << "," << r.reduction_s << "," << r.launch_s << ","
            << r.occ.blocks_per_sm << "," << r.waves << "," << r.conflict_factor << "," << r.l1_hit
            << "\n";
      }
    }
  if (!out.flush()) throw Error("--points: writing " + path + " failed");
}

}  // namespace

int cmd_accuracy(const Args& args) {
  return guarded("accuracy", [&]() -> int {
    po::options_description desc("vqtune accuracy: the cost model against measured times");
    desc.add_options()("help,h", "this help")(
        "db", po::value<std::string>()->default_value("vqtune.db"), "database file")(
        "gpu", po::value<std::string>(), "GPU class key (default: the only one in the file)")(
        "zipf", po::value<double>()->default_value(1.0),
        "index histogram exponent the measurements were taken with (vqtune tune's data)")(
        "per-problem", "one line per problem")(
        "fit", "fit the coefficients to the training problems and store them for this GPU class")(
        "holdout-every", po::value<int>()->default_value(4),
        "1 in N problems (by key hash) is held out of the fit; accuracy is on those")(
        "holdout-shapes", po::value<std::string>(),
        "hold out these shapes instead (comma-separated, as `shape_key` prints them: "
        "gemv:22016x8192, attention_decode:32/8x128:ctx4096); every VQ config and batch of each")(
        "start", po::value<std::string>(),
        "--fit: start from these coefficients (JSON, e.g. an earlier fit) instead of the built-in "
        "defaults")(
        "coefficients", po::value<std::string>(),
        "use these coefficients (JSON, e.g. bench/results/data/h100-gemv-coefficients.json, fitted "
        "on another file) instead of the stored ones; every problem here counts as held out")(
        "hold", po::value<std::string>(),
        "--fit: keep these coefficients (comma-separated names, as in the coefficients JSON) at "
        "their --start value, e.g. one counted with `vqtune profile`")(
        "save", po::value<std::string>(),
        "--fit: also write the fitted coefficients to this JSON file (must not exist), for "
        "--coefficients / --start and the predict of another file")(
        "iterations", po::value<int>()->default_value(60),
        "--fit: at most this many Levenberg-Marquardt iterations (1..1000)")(
        "points", po::value<std::string>(),
        "also write every measured candidate (problem, candidate, measured and predicted time, "
        "held out or not, bound, each term's time) to this CSV file (must not exist)");
    add_format_flags(desc);
    const auto vm = parse(args, desc);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    const Format fmt = chosen_format(vm);
    const bool fit = vm.count("fit") > 0;
    const int every = vm["holdout-every"].as<int>();
    if (every < 1) throw InputError("--holdout-every must be >= 1");
    const bool by_list = vm.count("holdout-shapes") > 0;
    if (by_list && !vm["holdout-every"].defaulted())
      throw InputError("--holdout-shapes excludes --holdout-every");
    if (fit && every < 2 && !by_list)
      throw InputError("--fit needs --holdout-every >= 2 (held-out shapes)");
    std::set<std::string> listed;
    if (by_list) {
      for (auto& shape : tuner::split_list(vm["holdout-shapes"].as<std::string>()))
        listed.insert(std::move(shape));
      if (listed.empty()) throw InputError("--holdout-shapes: no shape given");
    }
    auto repo = db::Repository::open(vm["db"].as<std::string>(),
                                     fit ? db::Access::read_write : db::Access::read_only);
    std::string key;
    if (vm.count("gpu")) {
      key = vm["gpu"].as<std::string>();
    } else {
      std::vector<std::string> keys;
      for (const auto& g : repo.gpus())
        if (std::find(keys.begin(), keys.end(), g.gpu_key()) == keys.end())
          keys.push_back(g.gpu_key());
      if (keys.size() != 1)
        throw InputError("--gpu: the file holds " + std::to_string(keys.size()) +
                         " GPU classes; name one");
      key = keys[0];
    }
    const tuner::StoredModel model = tuner::load_stored_model(repo, key, find_gpu(key, "--gpu"));
    const GpuSpec& spec = model.spec;
    ModelCoefficients coef = model.coef;
    const bool external = vm.count("coefficients") > 0;
    if (external && fit) throw InputError("--coefficients excludes --fit");
    if (vm.count("start") && !fit) throw InputError("--start needs --fit");
    if (vm.count("hold") && !fit) throw InputError("--hold needs --fit");
    if (vm.count("save") && !fit) throw InputError("--save needs --fit");
    if (vm.count("save") && std::filesystem::exists(vm["save"].as<std::string>()))
      throw InputError("--save: " + vm["save"].as<std::string>() + " exists");
    std::vector<std::string> held;
    if (vm.count("hold")) {
      held = tuner::split_list(vm["hold"].as<std::string>());
      if (held.empty()) throw InputError("--hold: no coefficient named");
    }  // unknown names: tuner::calibrate refuses them before fitting or storing anything
    const ModelCoefficients start = vm.count("start")
                                        ? ModelCoefficients::load(vm["start"].as<std::string>())
                                        : ModelCoefficients{};
    if (external) coef = ModelCoefficients::load(vm["coefficients"].as<std::string>());
    const bool stored = model.fitted_coefficients && !external;
    const double zipf = vm["zipf"].as<double>();
    std::vector<tuner::MeasuredProblem> train, test;
    std::set<std::string> seen;
    for (auto& mp : tuner::load_measured(repo, key)) {
      const std::string shape = tuner::shape_key(mp.problem);
      seen.insert(shape);
      const bool out = by_list ? listed.count(shape) > 0 : tuner::held_out(mp.problem, every);
      (out ? test : train).push_back(std::move(mp));
    }
    for (const auto& shape : listed)
      if (!seen.count(shape))
        throw InputError("--holdout-shapes: no measured problem of " + key + " has shape '" +
                         shape + "' (shapes here: " + join(seen) + ")");
    // Without --fit and without stored fitted coefficients nothing was fitted to any problem:
    // all of them count as held out.
    if (!fit && (!stored || external)) {
      for (auto& mp : train) test.push_back(std::move(mp));
      train.clear();
    }
    if (fit && by_list && train.empty())
      throw InputError("--holdout-shapes: every problem of this file is held out; nothing to fit");
    if (fit && test.empty())
      throw InputError("--fit: no problem is held out (--holdout-every " + std::to_string(every) +
                       " picks whole shapes by hash; all " + std::to_string(train.size()) +
                       " problems of this file went to the fit): try another --holdout-every");
    bool fitted_now = false;
    if (fit) {
      const int iterations = vm["iterations"].as<int>();
      if (iterations < 1 || iterations > 1000) throw InputError("--iterations must be in 1..1000");
      const auto cal = tuner::calibrate(train, spec, start, zipf, iterations, held);
      std::cerr << "accuracy: fitted " << cal.points << " measurements of " << train.size()
                << " problems in " << cal.iterations << " iterations: weighted rms log error "
                << cal.rms_log_error_before << " -> " << cal.rms_log_error_after
                << (held.empty() ? "" : " (" + std::to_string(held.size()) + " held)") << "\n";
      const auto before =
          tuner::accuracy(tuner::measured_vs_predicted(test, spec, ModelCoefficients{}, zipf));
      std::cerr << std::fixed << std::setprecision(1) << "accuracy: held-out with defaults: MAPE "
                << 100 * before.mape << " %, p90 " << 100 * before.p90_abs_err
                << " %, top-1 within 5 %: " << 100 * before.top1_within_5pct << " %\n";
      coef = cal.coef;
      repo.save_coefficients(key, "fit:" + std::to_string(cal.points), coef.to_json());
      if (vm.count("save")) coef.save(vm["save"].as<std::string>());
      fitted_now = true;
    }
    if (vm.count("points"))
      write_points(vm["points"].as<std::string>(), train, test, spec, coef, zipf);
    const auto data = tuner::measured_vs_predicted(test, spec, coef, zipf);
    const tuner::AccuracyReport r = tuner::accuracy(data);
    if (r.problems == 0) throw InputError("--db: no problem of " + key + " has 2 ok measurements");
    if (fmt == Format::json) {
      nlohmann::json j = {{"gpu", key},
                          {"coefficients", fitted_now ? "fitted now"
                                           : external ? "file"
                                           : stored   ? "fitted (database)"
                                                      : "defaults"},
                          {"held_out_of", train.size() + test.size()},
                          {"ceilings", model.measured_ceilings ? "measured" : "datasheet"},
                          {"problems", r.problems},
                          {"points", r.points},
                          {"mape", r.mape},
                          {"p90_abs_err", r.p90_abs_err},
                          {"median_spearman", r.median_spearman},
                          {"mean_spearman", r.mean_spearman},
                          {"top1_within_5pct", r.top1_within_5pct},
                          {"median_regret", r.median_regret},
                          {"max_regret", r.max_regret},
                          {"topk_within_2pct", r.topk_within_2pct},
                          {"topk_timed_fraction", r.topk_timed_fraction},
                          {"topk_max_regret", r.topk_max_regret}};
      for (const auto& p : r.per_problem)
        j["per_problem"].push_back({{"problem", p.problem_key},
                                    {"points", p.points},
                                    {"mape", p.mape},
                                    {"spearman", p.spearman},
                                    {"regret", p.regret},
                                    {"topk_regret", p.topk_regret},
                                    {"topk_timed", p.topk_timed}});
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    if (fmt == Format::csv) {
      std::cout << "problem,points,mape,spearman,regret,topk_regret,topk_timed\n";
      for (const auto& p : r.per_problem)
        std::cout << p.problem_key << "," << p.points << "," << p.mape << "," << p.spearman << ","
                  << p.regret << "," << p.topk_regret << "," << p.topk_timed << "\n";
      return 0;
    }
    std::cout << std::fixed << std::setprecision(1) << "model accuracy on " << key << " ("
              << (external               ? "given"
                  : fitted_now || stored ? "fitted"
                                         : "default")
              << " coefficients, " << (model.measured_ceilings ? "measured" : "datasheet")
              << " ceilings): " << r.problems << " problems"
              << (train.empty() ? "" : " held out of the fit") << ", " << r.points
              << " measured candidates\n"
              << "  MAPE " << 100 * r.mape << " %, p90 error " << 100 * r.p90_abs_err << " %\n"
              << std::setprecision(2) << "  Spearman per problem: median " << r.median_spearman
              << ", mean " << r.mean_spearman << "\n"
              << std::setprecision(1)
              << "  model top-1 within 5 % of the best measured: " << 100 * r.top1_within_5pct
              << " % of problems (median regret " << 100 * r.median_regret << " %, max "
              << 100 * r.max_regret << " %)\n"
              << "  model-top-k (top 8 + 2 random) replayed on these measurements: within 2 % of "
                 "the best measured on "
              << 100 * r.topk_within_2pct << " % of problems (max regret "
              << 100 * r.topk_max_regret << " %), timing " << 100 * r.topk_timed_fraction
              << " % of the candidates\n";
    if (vm.count("per-problem"))
      for (const auto& p : r.per_problem)
        std::cout << "  " << std::left << std::setw(50) << p.problem_key << std::right
                  << std::setw(4) << p.points << "  MAPE " << std::setw(7) << 100 * p.mape
                  << " %  rho " << std::setw(5) << std::setprecision(2) << p.spearman
                  << std::setprecision(1) << "  regret " << std::setw(6) << 100 * p.regret
                  << " %  top-k regret " << std::setw(6) << 100 * p.topk_regret << " %\n";
    return 0;
  });
}

}  // namespace vqt::cli
