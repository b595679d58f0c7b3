// vqtune accuracy: the cost model against the measurements in a database (tuner/accuracy.hpp):
// MAPE and p90 error of predicted time, Spearman per problem, regret of the model's top-1.
// Needs no GPU: it re-predicts what was measured.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "db/repository.hpp"
#include "tuner/accuracy.hpp"
#include "tuner/ceilings_store.hpp"
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
        "per-problem", "one line per problem");
    add_format_flags(desc);
    const auto vm = parse(args, desc);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    const Format fmt = chosen_format(vm);
    auto repo = db::Repository::open(vm["db"].as<std::string>(), db::Access::read_only);
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
    const auto measured = tuner::load_ceilings(repo, key);
    const GpuSpec spec =
        effective(find_gpu(key, "--gpu"), tuner::to_model_ceilings(measured, "database"));
    ModelCoefficients coef;
    const auto stored = repo.load_coefficients(key);
    if (stored) coef = ModelCoefficients::from_json(*stored);
    const auto data = tuner::measured_vs_predicted(repo, key, spec, coef, vm["zipf"].as<double>());
    const tuner::AccuracyReport r = tuner::accuracy(data);
    if (r.problems == 0) throw InputError("--db: no problem of " + key + " has 2 ok measurements");
    if (fmt == Format::json) {
      nlohmann::json j = {{"gpu", key},
                          {"coefficients", stored ? "fitted (database)" : "defaults"},
                          {"ceilings", measured.empty() ? "datasheet" : "measured"},
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
              << (stored ? "fitted" : "default") << " coefficients, "
              << (measured.empty() ? "datasheet" : "measured") << " ceilings): " << r.problems
              << " problems, " << r.points << " measured candidates\n"
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
