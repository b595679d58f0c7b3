#include "profiler/clock_monitor.hpp"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

namespace vqt::profiler {

namespace {

// The few NVML entry points used, declared here (no nvml.h in this toolkit). ABI per NVML docs:
// nvmlReturn_t is an int enum (0 = success), nvmlDevice_t an opaque pointer,
// NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2.
using nvml_init_fn = int (*)();
using nvml_shutdown_fn = int (*)();
using nvml_by_pci_fn = int (*)(const char*, void**);
using nvml_clock_fn = int (*)(void*, int, unsigned int*);
using nvml_reasons_fn = int (*)(void*, unsigned long long*);
constexpr int kNvmlClockSm = 1;

// nvmlClocksEventReason* bits: SW power cap 0x4 is left out on purpose (it is the normal state of
// a busy H100); its effect shows as a lower clock, which the clock rule catches.
constexpr std::uint64_t kHwSlowdown = 0x8, kSwThermal = 0x20, kHwThermal = 0x40,
                        kHwPowerBrake = 0x80;

template <class F>
F sym(void* lib, const char* name) {
  return reinterpret_cast<F>(dlsym(lib, name));
}

}  // namespace

bool ClockReading::hw_slowdown() const {
  return valid && (reasons & (kHwSlowdown | kSwThermal | kHwThermal | kHwPowerBrake)) != 0;
}

ClockMonitor::ClockMonitor(int cuda_device) {
  lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib_) {
    why_ = "libnvidia-ml.so.1 not found";
    return;
  }
  auto init = sym<nvml_init_fn>(lib_, "nvmlInit_v2");
  auto by_pci = sym<nvml_by_pci_fn>(lib_, "nvmlDeviceGetHandleByPciBusId_v2");
  if (!init || !by_pci || !sym<nvml_clock_fn>(lib_, "nvmlDeviceGetClockInfo")) {
    why_ = "NVML lacks the expected entry points";
    return;
  }
  if (init() != 0) {
    why_ = "nvmlInit_v2 failed";
    return;
  }
  char bus_id[64] = {};
  if (cudaDeviceGetPCIBusId(bus_id, sizeof bus_id, cuda_device) != cudaSuccess) {
    why_ = "cudaDeviceGetPCIBusId failed";
    return;
  }
  void* dev = nullptr;
  if (by_pci(bus_id, &dev) != 0 || !dev) {
    why_ = std::string("NVML has no device at PCI bus id ") + bus_id;
    return;
  }
  device_ = dev;
}

ClockMonitor::~ClockMonitor() {
  if (lib_) {
    if (device_) {
      if (auto shutdown = sym<nvml_shutdown_fn>(lib_, "nvmlShutdown")) shutdown();
    }
    dlclose(lib_);
  }
}

ClockReading ClockMonitor::read() const {
  ClockReading r;
  if (!device_) return r;
  unsigned int mhz = 0;
  if (sym<nvml_clock_fn>(lib_, "nvmlDeviceGetClockInfo")(device_, kNvmlClockSm, &mhz) != 0)
    return r;
  r.valid = true;
  r.sm_mhz = mhz;
  auto reasons = sym<nvml_reasons_fn>(lib_, "nvmlDeviceGetCurrentClocksEventReasons");
  if (!reasons) reasons = sym<nvml_reasons_fn>(lib_, "nvmlDeviceGetCurrentClocksThrottleReasons");
  unsigned long long bits = 0;
  if (reasons && reasons(device_, &bits) == 0) r.reasons = bits;
  return r;
}

double ClockMonitor::max_sm_mhz() const {
  if (!device_) return 0;
  auto max_clock = sym<nvml_clock_fn>(lib_, "nvmlDeviceGetMaxClockInfo");
  unsigned int mhz = 0;
  if (!max_clock || max_clock(device_, kNvmlClockSm, &mhz) != 0) return 0;
  return mhz;
}

std::string ClockMonitor::driver_version() const {
  if (!device_) return "";
  using version_fn = int (*)(char*, unsigned int);
  auto get = sym<version_fn>(lib_, "nvmlSystemGetDriverVersion");
  char buf[96] = {};
  if (!get || get(buf, sizeof buf) != 0) return "";
  return buf;
}

}  // namespace vqt::profiler
