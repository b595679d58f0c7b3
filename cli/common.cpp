#include "cli/common.hpp"

#ifdef VQT_CLI_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

#include <iostream>

#include "vq/error.hpp"

namespace vqt::cli {

void require_cuda_device(int device) {
#ifdef VQT_CLI_HAS_CUDA
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess)
    throw InputError(std::string("no CUDA device: ") + cudaGetErrorString(err));
  if (n == 0) throw InputError("no CUDA device: the device count is 0");
  if (device < 0 || device >= n)
    throw InputError("--device: " + std::to_string(device) + " is out of range (accepted: 0.." +
                     std::to_string(n - 1) + ")");
#else
  (void)device;
  throw InputError("no CUDA device: this build has no CUDA (VQT_ENABLE_CUDA=OFF)");
#endif
}

int guarded(const char* verb, const std::function<int()>& body) {
  try {
    return body();
  } catch (const InputError& e) {
    std::cerr << "vqtune " << verb << ": " << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << "vqtune " << verb << ": " << e.what() << " (see vqtune " << verb << " --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vqtune " << verb << ": error: " << e.what() << "\n";
    return 1;
  }
}

po::variables_map parse(const Args& args, const po::options_description& desc,
                        const po::positional_options_description* positional) {
  po::variables_map vm;
  auto parser = po::command_line_parser(args).options(desc);
  if (positional) parser.positional(*positional);
  po::store(parser.run(), vm);
  po::notify(vm);
  return vm;
}

void add_format_flags(po::options_description& desc) {
  desc.add_options()("json", "machine-readable JSON on stdout")("csv", "CSV on stdout");
}

Format chosen_format(const po::variables_map& vm) {
  if (vm.count("json") && vm.count("csv")) throw InputError("--json and --csv exclude each other");
  if (vm.count("json")) return Format::json;
  if (vm.count("csv")) return Format::csv;
  return Format::table;
}

void add_data_sets_flag(po::options_description& desc) {
  desc.add_options()("data-sets", po::value<int>()->default_value(kDefaultDataSets),
                     "copies of each problem's data (separate allocations) that a candidate is "
                     "timed over; its time is their mean");
}

int data_sets_flag(const po::variables_map& vm) {
  const int n = vm["data-sets"].as<int>();
  if (n < 1 || n > kMaxDataSets)
    throw InputError("--data-sets: " + std::to_string(n) + " is out of range (accepted: 1.." +
                     std::to_string(kMaxDataSets) + ")");
  return n;
}

}  // namespace vqt::cli
