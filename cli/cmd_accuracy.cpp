// vqtune accuracy: the cost model against the measurements in a database (tuner/accuracy.hpp):
// MAPE and p90 error of predicted time, Spearman per problem, regret of the model's top-1.
// Needs no GPU: it re-predicts what was measured.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "db/repository.hpp"
#include "tuner/accuracy.hpp"
#include "tuner/calibrate.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/stored_model.hpp"
#include "vq/error.hpp"

namespace vqt::cli {

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
        "1 in N problems (by key hash) is held out of the fit; accuracy is on those");
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
    if (fit && every < 2) throw InputError("--fit needs --holdout-every >= 2 (held-out shapes)");
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
    const bool stored = model.fitted_coefficients;
    const double zipf = vm["zipf"].as<double>();
    std::vector<tuner::MeasuredProblem> train, test;
    for (auto& mp : tuner::load_measured(repo, key))
      (tuner::held_out(mp.problem, every) ? test : train).push_back(std::move(mp));
    // Without --fit and without stored fitted coefficients nothing was fitted to any problem:
    // all of them count as held out.
    if (!fit && !stored) {
      for (auto& mp : train) test.push_back(std::move(mp));
      train.clear();
    }
    bool fitted_now = false;
    if (fit) {
      const auto cal = tuner::calibrate(train, spec, ModelCoefficients{}, zipf);
      std::cerr << "accuracy: fitted " << cal.points << " measurements of " << train.size()
                << " problems in " << cal.iterations << " iterations: rms log error "
                << cal.rms_log_error_before << " -> " << cal.rms_log_error_after << "\n";
      const auto before =
          tuner::accuracy(tuner::measured_vs_predicted(test, spec, ModelCoefficients{}, zipf));
      std::cerr << std::fixed << std::setprecision(1) << "accuracy: held-out with defaults: MAPE "
                << 100 * before.mape << " %, p90 " << 100 * before.p90_abs_err
                << " %, top-1 within 5 %: " << 100 * before.top1_within_5pct << " %\n";
      coef = cal.coef;
      repo.save_coefficients(key, "fit:" + std::to_string(cal.points), coef.to_json());
      fitted_now = true;
    }
    const auto data = tuner::measured_vs_predicted(test, spec, coef, zipf);
    const tuner::AccuracyReport r = tuner::accuracy(data);
    if (r.problems == 0) throw InputError("--db: no problem of " + key + " has 2 ok measurements");
    if (fmt == Format::json) {
      nlohmann::json j = {{"gpu", key},
                          {"coefficients", fitted_now ? "fitted now"
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
                          {"max_regret", r.max_regret}};
      for (const auto& p : r.per_problem)
        j["per_problem"].push_back({{"problem", p.problem_key},
                                    {"points", p.points},
                                    {"mape", p.mape},
                                    {"spearman", p.spearman},
                                    {"regret", p.regret}});
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    if (fmt == Format::csv) {
      std::cout << "problem,points,mape,spearman,regret\n";
      for (const auto& p : r.per_problem)
        std::cout << p.problem_key << "," << p.points << "," << p.mape << "," << p.spearman << ","
                  << p.regret << "\n";
      return 0;
    }
    std::cout << std::fixed << std::setprecision(1) << "model accuracy on " << key << " ("
              << (fitted_now || stored ? "fitted" : "default") << " coefficients, "
              << (model.measured_ceilings ? "measured" : "datasheet")
              << " ceilings): " << r.problems << " problems"
              << (train.empty() ? "" : " held out of the fit") << ", " << r.points
              << " measured candidates\n"
              << "  MAPE " << 100 * r.mape << " %, p90 error " << 100 * r.p90_abs_err << " %\n"
              << std::setprecision(2) << "  Spearman per problem: median " << r.median_spearman
              << ", mean " << r.mean_spearman << "\n"
              << std::setprecision(1)
              << "  model top-1 within 5 % of the best measured: " << 100 * r.top1_within_5pct
              << " % of problems (median regret " << 100 * r.median_regret << " %, max "
              << 100 * r.max_regret << " %)\n";
    if (vm.count("per-problem"))
      for (const auto& p : r.per_problem)
        std::cout << "  " << std::left << std::setw(50) << p.problem_key << std::right
                  << std::setw(4) << p.points << "  MAPE " << std::setw(7) << 100 * p.mape
                  << " %  rho " << std::setw(5) << std::setprecision(2) << p.spearman
                  << std::setprecision(1) << "  regret " << std::setw(6) << 100 * p.regret
                  << " %\n";
    return 0;
  });
}

}  // namespace vqt::cli
