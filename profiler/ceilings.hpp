// This GPU's ceilings, measured by microbenchmarks (`vqtune measure`): what the cost model uses in
// place of datasheet figures once they are stored in the database.
//
//   hbm_read / hbm_write / hbm_copy  float4 streaming kernels over 2 GiB (copy: 1 GiB in + 1 GiB
//                                    out, read + write bytes counted), bytes/s
//   l2_read                          ld.global.cg re-reads of a buffer of L2/4 bytes, bytes/s
//   smem_read                        conflict-free 16-byte shared-memory loads, bytes/s
//   fp16_tensor                      cuBLAS fp16 GEMM 8192^3 (fp32 accumulate), flop/s
//   fp32_fma                         8 independent FMA chains per thread, flop/s
//   pcie_h2d / pcie_d2h              cudaMemcpyAsync of 256 MiB pinned memory, bytes/s
//   zero_copy_read                   kernel reading 256 MiB of mapped pinned host memory, bytes/s
//   launch_gpu                       GPU time per back-to-back launch: 256 empty kernels queued
//                                    behind a held stream, released, one event pair, s
//                                    (moves up to 14 % between processes: the process's channel)
//   launch_graph                     GPU time per kernel node: the same 256 kernels as one CUDA
//                                    graph behind a held stream, s (repeats across processes)
//   launch                           host time per launch of an empty kernel queued behind a held
//                                    stream (the fastest of 5 batches of 256 per sample), s; moves
//                                    with the host's load (10-27 % between processes on the H100
//                                    host)
//   empty_kernel                     GPU duration of an empty kernel (CUPTI), s
// Each is measured until the relative stdev of its samples is under 1 % (so runs agree within
// about 2 %), or a 3 s cap, and says whether it got there.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "profiler/profiler.hpp"

namespace vqt::profiler {

struct Ceiling {
  std::string name;
  double value = 0;    // in `unit`
  std::string unit;    // "bytes/s", "flop/s" or "s"
  std::string method;  // what was run, in one line
  Measurement m;       // the timing it came from (times of one sample)
  bool within_target() const { return m.converged(); }
};

struct DeviceInfo {
  int device = 0;
  std::string name;
  std::string pci_bus_id;
  std::string uuid;          // "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi
  std::string driver;        // "580.159.04" (NVML), else the CUDA driver API version "13.0"
  std::string cuda_version;  // runtime version, "13.0"
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  std::size_t l2_bytes = 0;
  std::size_t global_mem_bytes = 0;
  int driver_version = 0;   // cudaDriverGetVersion, e.g. 13000
  int runtime_version = 0;  // cudaRuntimeGetVersion
  double max_sm_mhz = 0;    // NVML, 0 when unknown
};

DeviceInfo device_info(int device);

// All ceiling names in measuring order.
const std::vector<std::string>& ceiling_names();
// InputError naming the first of `names` that is not a ceiling, and the accepted ones.
void check_ceiling_names(const std::vector<std::string>& names);

struct CeilingsOptions {
  std::vector<std::string> only;  // empty: all; else these names (InputError on an unknown one)
  double cap_s = 3.0;             // per ceiling
  double target_rel_stdev = 0.01;
};

// Measures the ceilings on the profiler's device; progress lines with the estimated time left go
// to `progress` when not null.
std::vector<Ceiling> measure_ceilings(Profiler& prof, const CeilingsOptions& opt,
                                      std::ostream* progress);

}  // namespace vqt::profiler
