// ClockMonitor: reads the SM clock and the clock-event (throttle) reasons of one CUDA device
// through NVML, loaded at run time with dlopen("libnvidia-ml.so.1"), so that builds and CI without
// a driver neither link nor need it. Read only: it never changes clocks or any other setting.
//
// Why NVML rather than a clock64()-vs-globaltimer spin kernel: it costs no GPU time and adds no
// activity record to the timed region, and its reasons bitmask says *why* a clock dropped. Its
// limit: a reading is an instantaneous sample taken before and after each timed run, so a dip
// shorter than the run between two readings can go unseen (the convergence rule's outlier
// tolerance covers those).
#pragma once

#include <cstdint>
#include <string>

namespace vqt::profiler {

struct ClockReading {
  bool valid = false;
  double sm_mhz = 0;
  std::uint64_t reasons = 0;  // nvmlClocksEventReasons bitmask
  // Reasons that mean the hardware slowed the clock down (HW slowdown, SW/HW thermal, power brake).
  bool hw_slowdown() const;
};

class ClockMonitor {
 public:
  // Opens NVML for CUDA device `cuda_device`; when that fails, available() is false and
  // unavailable_reason() says why (readings are then invalid and nothing is discarded).
  explicit ClockMonitor(int cuda_device);
  ~ClockMonitor();
  ClockMonitor(const ClockMonitor&) = delete;
  ClockMonitor& operator=(const ClockMonitor&) = delete;

  bool available() const { return device_ != nullptr; }
  const std::string& unavailable_reason() const { return why_; }
  ClockReading read() const;
  // The maximum SM clock the device reports (MHz), 0 if unknown.
  double max_sm_mhz() const;
  // The driver version as nvidia-smi prints it ("580.159.04"), "" if unknown.
  std::string driver_version() const;

 private:
  void* lib_ = nullptr;
  void* device_ = nullptr;
  std::string why_;
};

}  // namespace vqt::profiler
