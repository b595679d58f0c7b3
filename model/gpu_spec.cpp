#include "model/gpu_spec.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include "vq/error.hpp"

namespace vqt {

const char* ceiling_name(Ceiling c) {
  switch (c) {
    case Ceiling::hbm_bw:
      return "hbm_bw_bytes_per_s";
    case Ceiling::l2_bw:
      return "l2_bw_bytes_per_s";
    case Ceiling::smem_bw:
      return "smem_bw_bytes_per_s";
    case Ceiling::fp16_tensor:
      return "fp16_tensor_flops_per_s";
    case Ceiling::fp32:
      return "fp32_flops_per_s";
    case Ceiling::host_link:
      return "host_link_bw_bytes_per_s";
    case Ceiling::launch:
      return "launch_overhead_s";
  }
  return "?";
}

const char* to_string(FigureSource s) {
  switch (s) {
    case FigureSource::datasheet:
      return "datasheet";
    case FigureSource::estimate:
      return "estimate";
    case FigureSource::measured:
      return "measured";
  }
  return "?";
}

std::string GpuSpec::compute_capability() const {
  return std::to_string(cc_major) + "." + std::to_string(cc_minor);
}

namespace {

constexpr double kKiB = 1024.0;
constexpr double kGB = 1e9;  // bandwidth and capacity figures in datasheets are decimal
constexpr double kTB = 1e12;

// Per-architecture resource limits (CUDA C++ Programming Guide, "Compute Capabilities" table).
struct ArchLimits {
  int cc_major, cc_minor;
  int smem_per_sm_bytes, max_smem_per_block_bytes, l1_per_sm_bytes;
  int max_threads_per_sm, max_blocks_per_sm;
};
constexpr ArchLimits kAmpere80{8, 0, 164 * 1024, 163 * 1024, 192 * 1024, 2048, 32};
constexpr ArchLimits kAmpere86{8, 6, 100 * 1024, 99 * 1024, 128 * 1024, 1536, 16};
constexpr ArchLimits kAda89{8, 9, 100 * 1024, 99 * 1024, 128 * 1024, 1536, 24};
constexpr ArchLimits kHopper90{9, 0, 228 * 1024, 227 * 1024, 256 * 1024, 2048, 32};

struct Row {
  const char* key;
  const char* name;
  ArchLimits arch;
  int sms;
  double boost_mhz;
  double l2_mib;
  double memory_gb;
  double hbm_bw;        // bytes/s (datasheet)
  double l2_bw;         // bytes/s (estimate: no datasheet publishes it)
  double fp16_tensor;   // dense FLOP/s, FP32 accumulate
  double fp32;          // FLOP/s
  double host_link_bw;  // bytes/s per direction
  const char* source;
};

// Launch overhead: no datasheet figure; ~2.5 us from launch to kernel start back to back is what
// microbenchmarks of recent drivers report on all of these parts (an estimate, measured later).
constexpr double kLaunchS = 2.5e-6;

// clang-format off
const Row kRows[] = {
  {"h100-sxm", "NVIDIA H100 SXM5 80GB", kHopper90, 132, 1980, 50, 80, 3.35 * kTB, 7.0 * kTB,
   989.4e12, 66.9e12, 64 * kGB,
   "NVIDIA H100 Tensor Core GPU datasheet (2023); NVIDIA H100 Tensor Core GPU Architecture "
   "whitepaper v1.04"},
  {"h100-pcie", "NVIDIA H100 PCIe 80GB", kHopper90, 114, 1755, 50, 80, 2.0 * kTB, 5.5 * kTB,
   756.0e12, 51.2e12, 64 * kGB,
   "NVIDIA H100 Tensor Core GPU datasheet (2023); H100 Architecture whitepaper v1.04"},
  {"h200", "NVIDIA H200 SXM 141GB", kHopper90, 132, 1980, 50, 141, 4.8 * kTB, 7.0 * kTB,
   989.4e12, 66.9e12, 64 * kGB,
   "NVIDIA H200 Tensor Core GPU datasheet (2024); H100 Architecture whitepaper v1.04 (same die)"},
  {"a100-80gb-sxm", "NVIDIA A100 SXM4 80GB", kAmpere80, 108, 1410, 40, 80, 2.039 * kTB,
   4.8 * kTB, 312e12, 19.5e12, 32 * kGB,
   "NVIDIA A100 Tensor Core GPU datasheet (2021); NVIDIA A100 Tensor Core GPU Architecture "
   "whitepaper v1.0"},
  {"a100-40gb-pcie", "NVIDIA A100 PCIe 40GB", kAmpere80, 108, 1410, 40, 40, 1.555 * kTB,
   4.8 * kTB, 312e12, 19.5e12, 32 * kGB,
   "NVIDIA A100 Tensor Core GPU datasheet (2021); A100 Architecture whitepaper v1.0"},
  {"l40s", "NVIDIA L40S 48GB", kAda89, 142, 2520, 96, 48, 0.864 * kTB, 5.0 * kTB, 362.05e12,
   91.6e12, 32 * kGB,
   "NVIDIA L40S GPU datasheet (2023); NVIDIA Ada GPU Architecture whitepaper v2.1"},
  {"a40", "NVIDIA A40 48GB", kAmpere86, 84, 1740, 6, 48, 0.696 * kTB, 2.5 * kTB, 149.7e12,
   37.4e12, 32 * kGB,
   "NVIDIA A40 datasheet (2021); NVIDIA Ampere GA102 GPU Architecture whitepaper v2.0"},
  {"rtx-4090", "NVIDIA GeForce RTX 4090 24GB", kAda89, 128, 2520, 72, 24, 1.008 * kTB,
   5.0 * kTB, 165.2e12, 82.6e12, 32 * kGB,
   "NVIDIA Ada GPU Architecture whitepaper v2.1 (Table 2, FP16 tensor with FP32 accumulate)"},
  {"rtx-3090", "NVIDIA GeForce RTX 3090 24GB", kAmpere86, 82, 1695, 6, 24, 0.936 * kTB,
   2.5 * kTB, 71.0e12, 35.6e12, 32 * kGB,
   "NVIDIA Ampere GA102 GPU Architecture whitepaper v2.0 (FP16 tensor with FP32 accumulate)"},
  {"a10", "NVIDIA A10 24GB", kAmpere86, 72, 1695, 6, 24, 0.600 * kTB, 2.2 * kTB, 125e12,
   31.2e12, 32 * kGB,
   "NVIDIA A10 Tensor Core GPU datasheet (2021); GA102 Architecture whitepaper v2.0"},
  {"rtx-6000-ada", "NVIDIA RTX 6000 Ada Generation 48GB", kAda89, 142, 2505, 96, 48,
   0.960 * kTB, 5.0 * kTB, 364.2e12, 91.1e12, 32 * kGB,
   "NVIDIA RTX 6000 Ada Generation datasheet (2023); Ada GPU Architecture whitepaper v2.1"},
};
// clang-format on

GpuSpec make_spec(const Row& r) {
  GpuSpec s;
  s.key = r.key;
  s.name = r.name;
  s.cc_major = r.arch.cc_major;
  s.cc_minor = r.arch.cc_minor;
  s.sm_count = r.sms;
  s.boost_clock_hz = r.boost_mhz * 1e6;
  s.smem_per_sm_bytes = r.arch.smem_per_sm_bytes;
  s.max_smem_per_block_bytes = r.arch.max_smem_per_block_bytes;
  s.reserved_smem_per_block_bytes = s.cc_major >= 8 ? 1024 : 0;
  s.max_threads_per_sm = r.arch.max_threads_per_sm;
  s.max_warps_per_sm = r.arch.max_threads_per_sm / 32;
  s.max_blocks_per_sm = r.arch.max_blocks_per_sm;
  s.l1_per_sm_bytes = r.arch.l1_per_sm_bytes;
  s.l2_bytes = std::int64_t(r.l2_mib * kKiB * kKiB);
  s.memory_bytes = std::int64_t(r.memory_gb * kGB);
  auto set = [&](Ceiling c, double v, FigureSource src) {
    s.ceilings[static_cast<int>(c)] = v;
    s.ceiling_sources[static_cast<int>(c)] = src;
  };
  set(Ceiling::hbm_bw, r.hbm_bw, FigureSource::datasheet);
  set(Ceiling::l2_bw, r.l2_bw, FigureSource::estimate);
  // 32 banks x 4 bytes = 128 bytes per clock per SM.
  set(Ceiling::smem_bw, double(r.sms) * 128.0 * s.boost_clock_hz, FigureSource::datasheet);
  set(Ceiling::fp16_tensor, r.fp16_tensor, FigureSource::datasheet);
  set(Ceiling::fp32, r.fp32, FigureSource::datasheet);
  set(Ceiling::host_link, r.host_link_bw, FigureSource::datasheet);
  set(Ceiling::launch, kLaunchS, FigureSource::estimate);
  s.source = r.source;
  return s;
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

const std::vector<GpuSpec>& gpu_specs() {
  static const std::vector<GpuSpec> all = [] {
    std::vector<GpuSpec> v;
    for (const auto& r : kRows) v.push_back(make_spec(r));
    return v;
  }();
  return all;
}

std::string gpu_keys() {
  std::string s;
  for (const auto& g : gpu_specs()) s += (s.empty() ? "" : ", ") + g.key;
  return s;
}

const GpuSpec& find_gpu(const std::string& key, const std::string& flag) {
  static const std::pair<const char*, const char*> kAliases[] = {
      {"h100", "h100-sxm"},      {"h100-sxm5", "h100-sxm"},      {"h200-sxm", "h200"},
      {"a100", "a100-80gb-sxm"}, {"a100-sxm", "a100-80gb-sxm"},  {"a100-pcie", "a100-40gb-pcie"},
      {"4090", "rtx-4090"},      {"3090", "rtx-3090"},           {"rtx6000-ada", "rtx-6000-ada"},
      {"l40-s", "l40s"},         {"a100-80gb", "a100-80gb-sxm"}, {"a100-40gb", "a100-40gb-pcie"},
  };
  std::string k = lower(key);
  for (const auto& [alias, target] : kAliases)
    if (k == alias) k = target;
  for (const auto& g : gpu_specs())
    if (g.key == k) return g;
  throw InputError(flag + ": unknown GPU '" + key + "'; accepted: " + gpu_keys() +
                   " (aliases: h100, a100, 4090, 3090)");
}

GpuSpec effective(const GpuSpec& spec, const Ceilings& measured) {
  GpuSpec e = spec;
  for (Ceiling c : kAllCeilings) {
    const auto& v = measured.values[static_cast<int>(c)];
    if (!v) continue;
    if (!(std::isfinite(*v) && *v > 0))
      throw InputError(std::string("measured ") + ceiling_name(c) + " must be positive, got " +
                       std::to_string(*v));
    e.ceilings[static_cast<int>(c)] = *v;
    e.ceiling_sources[static_cast<int>(c)] = FigureSource::measured;
  }
  return e;
}

}  // namespace vqt
