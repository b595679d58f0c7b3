// GpuSpec: datasheet figures of one GPU, the resources the occupancy calculator needs, and the
// bandwidth / FLOP ceilings the cost model divides by.
//
// Two sources are kept apart: the built-in table (vendor datasheets and whitepapers; a few figures
// that no datasheet publishes, such as L2 bandwidth and launch overhead, are marked `estimate`) and
// ceilings measured on a real device (`Ceilings`, filled by `vqtune measure` from the database).
// `effective(spec, ceilings)` merges them and records, per ceiling, which source each number came
// from. Tensor FLOP/s are dense (no 2:4 sparsity), FP16 inputs with FP32 accumulation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vqt {

// The ceilings a measurement can replace.
enum class Ceiling {
  hbm_bw,       // DRAM bandwidth, bytes/s
  l2_bw,        // L2 bandwidth (all SMs), bytes/s
  smem_bw,      // shared-memory bandwidth (all SMs), bytes/s
  fp16_tensor,  // dense FP16 tensor-core FLOP/s (FP32 accumulate)
  fp32,         // FP32 CUDA-core FLOP/s (FMA = 2 FLOPs)
  host_link,    // host link (PCIe) bandwidth per direction, bytes/s
  launch,       // kernel launch overhead, s
};
constexpr int kCeilingCount = 7;
constexpr std::array<Ceiling, kCeilingCount> kAllCeilings = {
    Ceiling::hbm_bw, Ceiling::l2_bw,     Ceiling::smem_bw, Ceiling::fp16_tensor,
    Ceiling::fp32,   Ceiling::host_link, Ceiling::launch};

// Unit-carrying name, e.g. "hbm_bw_bytes_per_s", "launch_overhead_s".
const char* ceiling_name(Ceiling c);

enum class FigureSource { datasheet, estimate, measured };
const char* to_string(FigureSource s);

struct GpuSpec {
  std::string key;   // "h100-sxm"
  std::string name;  // "NVIDIA H100 SXM5 80GB"
  int cc_major = 0;
  int cc_minor = 0;
  int sm_count = 0;
  double boost_clock_hz = 0;
  // Registers (32-bit).
  int regs_per_sm = 65536;
  int regs_per_block = 65536;
  int max_regs_per_thread = 255;
  int reg_alloc_unit = 256;  // registers per warp are rounded up to this (cc >= 5)
  int sub_partitions_per_sm = 4;
  // Shared memory.
  int smem_per_sm_bytes = 0;              // max configurable carveout
  int max_smem_per_block_bytes = 0;       // opt-in maximum for one block
  int reserved_smem_per_block_bytes = 0;  // taken by the driver per block (1 KiB on cc >= 8.0)
  int smem_alloc_unit_bytes = 128;
  // Threads and blocks.
  int warp_size = 32;
  int max_threads_per_sm = 2048;
  int max_warps_per_sm = 64;
  int max_blocks_per_sm = 32;
  int max_threads_per_block = 1024;
  // Caches and memory.
  int l1_per_sm_bytes = 0;  // unified L1 / shared-memory capacity per SM
  std::int64_t l2_bytes = 0;
  std::int64_t memory_bytes = 0;
  // Datasheet ceilings, indexed by Ceiling, with the kind of source of each figure.
  std::array<double, kCeilingCount> ceilings{};
  std::array<FigureSource, kCeilingCount> ceiling_sources{};
  std::string source;  // citation: vendor datasheet / whitepaper names

  double ceiling(Ceiling c) const { return ceilings[static_cast<int>(c)]; }
  double hbm_bw_bytes_per_s() const { return ceiling(Ceiling::hbm_bw); }
  double l2_bw_bytes_per_s() const { return ceiling(Ceiling::l2_bw); }
  double smem_bw_bytes_per_s() const { return ceiling(Ceiling::smem_bw); }
  double fp16_tensor_flops_per_s() const { return ceiling(Ceiling::fp16_tensor); }
  double fp32_flops_per_s() const { return ceiling(Ceiling::fp32); }
  double host_link_bw_bytes_per_s() const { return ceiling(Ceiling::host_link); }
  double launch_overhead_s() const { return ceiling(Ceiling::launch); }
  std::string compute_capability() const;  // "9.0"
};

// Ceilings measured on a device (microbenchmarks); an empty field keeps the datasheet figure.
struct Ceilings {
  std::array<std::optional<double>, kCeilingCount> values{};
  std::string source;  // e.g. "measured 2026-11-21 on GPU-xxxx, driver 580, vqtune abc123"

  void set(Ceiling c, double v) { values[static_cast<int>(c)] = v; }
};

// The spec with measured ceilings substituted; ceiling_sources says which figure came from where.
// Throws InputError when a measured value is not positive and finite.
GpuSpec effective(const GpuSpec& spec, const Ceilings& measured);

// The built-in table (datasheet figures).
const std::vector<GpuSpec>& gpu_specs();
// Case-insensitive key or alias ("h100" = "h100-sxm"). Throws InputError naming `flag` and
// listing the accepted keys.
const GpuSpec& find_gpu(const std::string& key, const std::string& flag = "--gpu");
// "h100-sxm, h100-pcie, ..." for error messages and help.
std::string gpu_keys();

}  // namespace vqt
