// vqtune measure: this GPU's ceilings (profiler/ceilings.hpp), printed and stored in the database
// (tuner/ceilings_store.hpp) for the cost model to use in place of datasheet figures.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/common.hpp"
#include "vq/error.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include "db/repository.hpp"
#include "profiler/ceilings.hpp"
#include "tuner/ceilings_store.hpp"
#include "tuner/op_suite.hpp"
#endif

namespace vqt::cli {

#ifdef VQT_CLI_HAS_CUDA
namespace {

std::string human(double v, const std::string& unit) {
  std::ostringstream os;
  os << std::fixed;
  if (unit == "bytes/s")
    os << std::setprecision(1) << v / 1e9 << " GB/s";
  else if (unit == "flop/s")
    os << std::setprecision(1) << v / 1e12 << " TFLOP/s";
  else
    os << std::setprecision(2) << v * 1e6 << " us";
  return os.str();
}

int run_measure(const Args& args) {
  po::options_description desc("vqtune measure: measure this GPU's ceilings into the database");
  desc.add_options()("help,h", "this help")(
      "db", po::value<std::string>()->default_value("vqtune.db"), "database file (created)")(
      "no-db", "print only, store nothing")("device", po::value<int>()->default_value(0),
                                            "CUDA device index")(
      "only", po::value<std::string>(), "comma-separated subset, e.g. hbm_read,pcie_h2d")(
      "cap-s", po::value<double>()->default_value(3.0), "time cap per ceiling, seconds")(
      "event-timer", "time with cudaEvents instead of CUPTI");
  add_format_flags(desc);
  const auto vm = parse(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\nceilings: ";
    for (const auto& n : profiler::ceiling_names()) std::cout << n << " ";
    std::cout << "\n";
    return 0;
  }
  const Format fmt = chosen_format(vm);
  const double cap_s = vm["cap-s"].as<double>();
  if (!(cap_s > 0 && cap_s <= 600)) throw InputError("--cap-s must be in (0, 600] seconds");

  profiler::ProfilerOptions popt;
  popt.device = vm["device"].as<int>();
  popt.prefer_cupti = !vm.count("event-timer");
  profiler::CeilingsOptions copt;
  copt.cap_s = cap_s;
  copt.only = vm.count("only") ? tuner::split_list(vm["only"].as<std::string>())
                               : profiler::ceiling_names();
  profiler::check_ceiling_names(copt.only);  // before anything runs, `launch` first included
  require_cuda_device(popt.device);          // after the input checks: a typo is named as such
  // The host launch cost as an application without a profiler pays it: CUPTI, once attached,
  // adds 0.4-2 us per launch and most of the spread between processes (bench/results/
  // gpu-check-2026-12-07-s11.md), and it stays attached. So with CUPTI as the timer, `launch`
  // is measured first by an event-timer profiler, before the CUPTI one exists.
  const auto launch_at = std::find(copt.only.begin(), copt.only.end(), "launch");
  std::vector<profiler::Ceiling> launch_first;
  std::size_t launch_index = 0;
  if (popt.prefer_cupti && launch_at != copt.only.end()) {
    launch_index = std::size_t(launch_at - copt.only.begin());
    copt.only.erase(launch_at);
    profiler::ProfilerOptions eopt = popt;
    eopt.prefer_cupti = false;
    profiler::Profiler before_cupti(eopt);
    profiler::CeilingsOptions lopt = copt;
    lopt.only = {"launch"};
    std::cerr << "measure: launch first, before CUPTI attaches (event-timer profiler)\n";
    launch_first = profiler::measure_ceilings(before_cupti, lopt, &std::cerr);
    launch_first.front().method += ", measured before CUPTI attaches";
  }
  profiler::Profiler prof(popt);
  const profiler::DeviceInfo info = profiler::device_info(popt.device);

  std::cerr << "measure: " << info.name << " (" << info.uuid << "), driver " << info.driver
            << ", CUDA " << info.cuda_version << ", timer " << to_string(prof.timer_kind());
  if (!prof.cupti_fallback_reason().empty())
    std::cerr << " (CUPTI not used: " << prof.cupti_fallback_reason() << ")";
  const auto* clocks = prof.clocks();
  std::cerr << ", SM clock watch "
            << (clocks && clocks->available()
                    ? "NVML"
                    : "off (" + (clocks ? clocks->unavailable_reason() : std::string("disabled")) +
                          ")")
            << "\n";
  std::vector<profiler::Ceiling> result;
  if (!copt.only.empty()) result = profiler::measure_ceilings(prof, copt, &std::cerr);
  if (!launch_first.empty())
    result.insert(result.begin() + std::ptrdiff_t(std::min(launch_index, result.size())),
                  launch_first.front());

  std::vector<tuner::MeasuredCeiling> rows;
  for (const auto& c : result)
    rows.push_back({c.name, c.value, c.unit, c.m.time.rel_stdev, std::int64_t(c.m.time.count)});
  std::string stored = "not stored (--no-db)";
  if (!vm.count("no-db")) {
    const std::string path = vm["db"].as<std::string>();
    auto repo = db::Repository::open(path, db::Access::create);
    db::GpuRecord gpu;
    gpu.uuid = info.uuid;
    gpu.name = info.name;
    gpu.cc_major = info.cc_major;
    gpu.cc_minor = info.cc_minor;
    gpu.driver = info.driver;
    gpu.cuda_version = info.cuda_version;
    gpu.spec_key = tuner::detect_spec_key(info.cc_major, info.cc_minor, info.sm_count,
                                          std::int64_t(info.global_mem_bytes));
    std::string joined;
    for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
    const auto run_id = tuner::store_ceilings(repo, gpu, rows, "measure " + joined);
    stored = "stored in " + path + " (run " + std::to_string(run_id) + ", gpu class " +
             gpu.gpu_key() + ")";
  }

  if (fmt == Format::json) {
    nlohmann::json j;
    j["device"] = {{"name", info.name},         {"uuid", info.uuid},
                   {"driver", info.driver},     {"cuda", info.cuda_version},
                   {"sm_count", info.sm_count}, {"l2_bytes", info.l2_bytes}};
    j["stored"] = stored;
    for (const auto& c : result)
      j["ceilings"].push_back({{"name", c.name},
                               {"value", c.value},
                               {"unit", c.unit},
                               {"median_s", c.m.time.median},
                               {"min_s", c.m.time.min},
                               {"max_s", c.m.time.max},
                               {"rel_stdev", c.m.time.rel_stdev},
                               {"count", c.m.time.count},
                               {"discarded_throttled", c.m.discarded_throttled},
                               {"timer", c.name == "launch" ? "host_clock" : to_string(c.m.timer)},
                               {"stop", to_string(c.m.stop)},
                               {"method", c.method}});
    std::cout << j.dump(2) << "\n";
  } else if (fmt == Format::csv) {
    std::cout << "name,value,unit,rel_stdev,count,timer,stop\n";
    for (const auto& c : result)
      std::cout << c.name << "," << c.value << "," << c.unit << "," << c.m.time.rel_stdev << ","
                << c.m.time.count << ","
                << (c.name == "launch" ? "host_clock" : to_string(c.m.timer)) << ","
                << to_string(c.m.stop) << "\n";
  } else {
    std::cout << "ceilings of " << info.name << " (" << info.sm_count << " SMs, L2 "
              << info.l2_bytes / (1024 * 1024) << " MiB, driver " << info.driver << ")\n";
    std::cout << std::left << std::setw(16) << "ceiling" << std::setw(18) << "value"
              << std::setw(11) << "rel stdev" << std::setw(8) << "count" << std::setw(12) << "timer"
              << std::setw(11) << "stop"
              << "method\n";
    for (const auto& c : result) {
      std::ostringstream rs;
      rs << std::fixed << std::setprecision(2) << 100 * c.m.time.rel_stdev << " %";
      std::cout << std::left << std::setw(16) << c.name << std::setw(18) << human(c.value, c.unit)
                << std::setw(11) << rs.str() << std::setw(8) << c.m.time.count << std::setw(12)
                << (c.name == "launch" ? "host_clock" : to_string(c.m.timer)) << std::setw(11)
                << to_string(c.m.stop) << c.method << "\n";
    }
    std::cout << stored << "\n";
  }
  return 0;
}

}  // namespace
#endif

int cmd_measure(const Args& args) {
#ifdef VQT_CLI_HAS_CUDA
  return guarded("measure", [&]() -> int { return run_measure(args); });
#else
  (void)args;
  std::cerr << "vqtune measure: no CUDA device: this build has no CUDA (VQT_ENABLE_CUDA=OFF)\n";
  return 2;
#endif
}

}  // namespace vqt::cli
