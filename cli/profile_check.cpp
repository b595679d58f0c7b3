#include "cli/profile_check.hpp"

#include <cctype>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/profile_args.hpp"
#include "vq/error.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include "profiler/counter_metrics.hpp"
#include "profiler/metric_tables.hpp"
#endif

namespace vqt::cli {

bool wants_metric_check(const po::variables_map& vm) {
  const bool check = vm.count("check-metrics") && vm["check-metrics"].as<bool>();
  if (!check && vm.count("chip"))
    throw InputError("--chip: only with --check-metrics (a profile run reads the chip of its GPU)");
  return check;
}

int run_metric_check(const po::variables_map& vm) {
  // The check reads no problem: flags of one are a mistake, not something to ignore.
  for (const char* f :
       {"vq", "n", "k", "tokens", "kv", "context", "model", "heads", "head-dim", "candidate", "db"})
    if (vm.count(f))
      throw InputError(std::string("--check-metrics: --") + f +
                       " has no use here (the check takes --chip, --metrics and --json)");
  if (!vm.count("chip"))
    throw InputError("--check-metrics needs --chip (e.g. GH100 for H100 and H200, GA100 for A100)");
  // CUPTI spells chips in upper case (GH100); accept gh100 too.
  std::string chip = vm["chip"].as<std::string>();
  for (char& ch : chip) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  const Format format = profile_format(vm);
#ifdef VQT_CLI_HAS_CUDA
  std::vector<std::string> names;
  const bool given = vm.count("metrics") > 0;
  if (given) {
    names = parse_metric_list(vm["metrics"].as<std::string>(), "--metrics");
  } else {
    for (profiler::CounterId id : profiler::all_counters())
      names.push_back(profiler::counter_info(id).metric);
  }
  const auto checks = profiler::check_metrics_for_chip(chip, names);
  std::vector<std::string> unknown;
  for (const auto& c : checks)
    if (!c.known) unknown.push_back(c.name);
  if (format == Format::json) {
    nlohmann::json j;
    j["chip"] = chip;
    j["source"] = given ? "--metrics" : "vqtune profile's counters";
    j["metrics"] = nlohmann::json::array();
    for (const auto& c : checks)
      j["metrics"].push_back(
          {{"name", c.name}, {"known", c.known}, {"description", c.description}});
    j["unknown"] = unknown;
    std::cout << j.dump(2) << "\n";
  } else {
    std::size_t width = 6;
    for (const auto& c : checks) width = std::max(width, c.name.size());
    std::cout << "chip " << chip << ": " << checks.size() - unknown.size() << " of "
              << checks.size() << (given ? " --metrics names" : " counters of vqtune profile")
              << " known (CUPTI's metric tables, read on this machine; no GPU used)\n";
    std::cout << "known  " << std::left << std::setw(int(width)) << "metric"
              << "  description\n";
    for (const auto& c : checks)
      std::cout << (c.known ? "yes    " : "NO     ") << std::setw(int(width)) << c.name << "  "
                << (c.known ? c.description : "-") << "\n";
  }
  if (!unknown.empty()) {
    std::string list;
    for (const auto& n : unknown) list += (list.empty() ? "'" : ", '") + n + "'";
    throw InputError(std::string(given ? "--metrics" : "--chip") + ": chip " + chip +
                     " has no metric " + list);
  }
  return 0;
#else
  (void)chip;
  throw Error("--check-metrics: this build has no CUDA (CUPTI's metric tables come with it)");
#endif
}

}  // namespace vqt::cli
