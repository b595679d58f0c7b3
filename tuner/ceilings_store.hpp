// Measured ceilings between `vqtune measure`, the database and the cost model (no CUDA needed).
//
// The profiler measures more ceilings than the model reads; the mapping used for the model is
//   hbm_read -> hbm_bw      (decode kernels mostly read: the read ceiling, not read+write copy)
//   l2_read -> l2_bw, smem_read -> smem_bw, fp16_tensor -> fp16_tensor, fp32_fma -> fp32
//   pcie_h2d -> host_link   (offloaded KV crosses host-to-device)
//   empty_kernel -> launch  (the tuner's times are CUPTI kernel durations, so the fixed cost a
//                            kernel adds to them is an empty kernel's GPU duration, not the host
//                            launch time, which is stored too as `launch`)
// Everything is stored under the profiler's names, with units "bytes/s", "flop/s" or "s".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/records.hpp"
#include "db/repository.hpp"
#include "model/gpu_spec.hpp"

namespace vqt::tuner {

struct MeasuredCeiling {
  std::string name;  // profiler name: "hbm_read", "pcie_h2d", ...
  double value = 0;
  std::string unit;
  double rel_stdev = 0;
  std::int64_t count = 0;
};

// The model ceiling a profiler ceiling stands for, if any.
std::optional<vqt::Ceiling> model_ceiling_of(const std::string& profiler_name);

// Model ceilings from measured ones (later entries of one name win); `source` is recorded.
vqt::Ceilings to_model_ceilings(const std::vector<MeasuredCeiling>& measured,
                                const std::string& source);

// The built-in spec key of a device (same compute capability and SM count, memory within 15 %),
// or "" when none matches.
std::string detect_spec_key(int cc_major, int cc_minor, int sm_count, std::int64_t memory_bytes);

// Stores the ceilings of one device under one "measure" run; returns the run id.
std::int64_t store_ceilings(db::Repository& repo, const db::GpuRecord& gpu,
                            const std::vector<MeasuredCeiling>& measured, const std::string& args);

// The latest stored value of each ceiling of a GPU class (db::GpuRecord::gpu_key()), by name.
std::vector<MeasuredCeiling> load_ceilings(db::Repository& repo, const std::string& gpu_key);

}  // namespace vqt::tuner
