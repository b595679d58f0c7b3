// vqtune gpus: the built-in GPU table (datasheet figures, each ceiling with its kind of source).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "model/gpu_spec.hpp"

namespace vqt::cli {

namespace {

nlohmann::json to_json(const GpuSpec& g) {
  nlohmann::json j;
  j["key"] = g.key;
  j["name"] = g.name;
  j["compute_capability"] = g.compute_capability();
  j["sm_count"] = g.sm_count;
  j["boost_clock_hz"] = g.boost_clock_hz;
  j["regs_per_sm"] = g.regs_per_sm;
  j["max_regs_per_thread"] = g.max_regs_per_thread;
  j["reg_alloc_unit"] = g.reg_alloc_unit;
  j["smem_per_sm_bytes"] = g.smem_per_sm_bytes;
  j["max_smem_per_block_bytes"] = g.max_smem_per_block_bytes;
  j["reserved_smem_per_block_bytes"] = g.reserved_smem_per_block_bytes;
  j["smem_alloc_unit_bytes"] = g.smem_alloc_unit_bytes;
  j["max_threads_per_sm"] = g.max_threads_per_sm;
  j["max_warps_per_sm"] = g.max_warps_per_sm;
  j["max_blocks_per_sm"] = g.max_blocks_per_sm;
  j["max_threads_per_block"] = g.max_threads_per_block;
  j["l1_per_sm_bytes"] = g.l1_per_sm_bytes;
  j["l2_bytes"] = g.l2_bytes;
  j["memory_bytes"] = g.memory_bytes;
  for (Ceiling c : kAllCeilings)
    j["ceilings"][ceiling_name(c)] = {{"value", g.ceiling(c)},
                                      {"source", to_string(g.ceiling_sources[int(c)])}};
  j["source"] = g.source;
  return j;
}

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

}  // namespace

int cmd_gpus(const Args& args) {
  return guarded("gpus", [&] {
    po::options_description desc("vqtune gpus: the built-in GPU table (datasheet figures)");
    desc.add_options()("help,h", "this help");
    add_format_flags(desc);
    auto vm = parse(args, desc);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    const Format fmt = chosen_format(vm);
    if (fmt == Format::json) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& g : gpu_specs()) all.push_back(to_json(g));
      std::cout << all.dump(2) << "\n";
      return 0;
    }
    if (fmt == Format::csv) {
      std::cout << "key,name,cc,sms,boost_clock_hz,smem_per_sm_bytes,max_smem_per_block_bytes,"
                   "max_threads_per_sm,max_blocks_per_sm,l1_per_sm_bytes,l2_bytes,memory_bytes";
      for (Ceiling c : kAllCeilings)
        std::cout << "," << ceiling_name(c) << "," << ceiling_name(c) << "_source";
      std::cout << ",source\n";
      for (const auto& g : gpu_specs()) {
        std::cout << g.key << "," << csv_quote(g.name) << "," << g.compute_capability() << ","
                  << g.sm_count << "," << g.boost_clock_hz << "," << g.smem_per_sm_bytes << ","
                  << g.max_smem_per_block_bytes << "," << g.max_threads_per_sm << ","
                  << g.max_blocks_per_sm << "," << g.l1_per_sm_bytes << "," << g.l2_bytes << ","
                  << g.memory_bytes;
        for (Ceiling c : kAllCeilings)
          std::cout << "," << g.ceiling(c) << "," << to_string(g.ceiling_sources[int(c)]);
        std::cout << "," << csv_quote(g.source) << "\n";
      }
      return 0;
    }
    std::printf("%-15s %-4s %4s %5s %6s %6s %6s %7s %6s %5s %5s %5s %4s %6s\n", "gpu", "cc", "SMs",
                "MHz", "HBM", "L2*", "smem", "fp16TC", "fp32", "L2", "smem", "mem", "PCIe",
                "launch*");
    std::printf("%-15s %-4s %4s %5s %6s %6s %6s %7s %6s %5s %5s %5s %4s %6s\n", "", "", "", "",
                "TB/s", "TB/s", "TB/s", "TFLOP/s", "TFLOP/s", "MiB", "KiB/SM", "GB", "GB/s", "us");
    for (const auto& g : gpu_specs()) {
      std::printf(
          "%-15s %-4s %4d %5.0f %6.2f %6.1f %6.1f %7.1f %6.1f %5.0f %5d %5.0f %4.0f %6.1f\n",
          g.key.c_str(), g.compute_capability().c_str(), g.sm_count, g.boost_clock_hz / 1e6,
          g.hbm_bw_bytes_per_s() / 1e12, g.l2_bw_bytes_per_s() / 1e12,
          g.smem_bw_bytes_per_s() / 1e12, g.fp16_tensor_flops_per_s() / 1e12,
          g.fp32_flops_per_s() / 1e12, double(g.l2_bytes) / (1024.0 * 1024.0),
          g.smem_per_sm_bytes / 1024, double(g.memory_bytes) / 1e9,
          g.host_link_bw_bytes_per_s() / 1e9, g.launch_overhead_s() * 1e6);
    }
    std::printf(
        "\n* estimate (no datasheet figure); measured ceilings (vqtune measure) replace "
        "these.\nFP16 tensor FLOP/s are dense (no sparsity), FP32 accumulate; PCIe per "
        "direction.\nSources:\n");
    for (const auto& g : gpu_specs()) std::printf("  %-15s %s\n", g.key.c_str(), g.source.c_str());
    return 0;
  });
}

}  // namespace vqt::cli
