// Statistics and the convergence rule of DESIGN.md, in plain C++ (no CUDA) so that the cpu test
// tier checks them.
//
// A measurement is a series of samples (seconds of GPU time each). Samples are taken until the
// relative standard deviation of the kept samples is under a target (0.5 %, or 2 % for kernels
// whose median is under 10 us) with at least `min_samples`, or until a wall-time or sample cap.
//
// Throttling: each sample may carry the SM clock (MHz) read around it. A sample whose clock is
// more than `clock_tolerance` below the highest clock seen in this measurement is discarded
// (re-evaluated over all samples at every check, so a late higher reference also drops earlier
// low-clock samples). When more than half the samples would be discarded the GPU is throttled for
// good: all are kept and the summary says `sustained_throttle` (clocks are never changed by us).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vqt::profiler {

struct Summary {
  std::size_t count = 0;
  double median = 0, min = 0, max = 0, mean = 0;
  double stdev = 0;      // sample standard deviation (n - 1); 0 for one value
  double rel_stdev = 0;  // stdev / mean; 0 when mean is 0
};

// Throws vqt::Error on an empty input.
Summary summarize(std::vector<double> values);

enum class StopReason { not_yet, converged, time_cap, sample_cap };
const char* to_string(StopReason r);

struct ConvergenceRule {
  int min_samples = 10;
  int max_samples = 5000;
  double target_rel_stdev = 0.005;       // 0.5 %
  double short_target_rel_stdev = 0.02;  // 2 % for short kernels
  double short_kernel_s = 10e-6;         // "short": median under 10 us
  double max_time_s = 3.0;               // wall-time cap of one measurement
  double clock_tolerance = 0.03;         // a sample 3 % under the top SM clock is throttled

  // The target that applies to a kernel of this median duration.
  double target_for(double median_s) const {
    return median_s < short_kernel_s ? short_target_rel_stdev : target_rel_stdev;
  }
};

// Whether a timed region is a sample: the timer saw the work (CUPTI: at least one activity
// record; the event timer reports -1, unknown) and it took a positive, finite time. A CUPTI
// region without records (one the driver did not deliver, or stamped before the region began)
// reads 0 s and must not enter the statistics.
bool is_timed_sample(double busy_s, int activities);

// Consecutive regions without a sample after which a measurement gives up (the timer is not
// seeing the launches).
constexpr int kMaxLostSamplesInARow = 8;

// One sample: its time and the SM clock read around it (<= 0: unknown, never discarded).
struct Sample {
  double time_s = 0;
  double sm_clock_mhz = 0;
  bool hw_slowdown = false;  // a hardware/thermal slowdown reason was active: always discarded
};

class Convergence {
 public:
  explicit Convergence(ConvergenceRule rule) : rule_(rule) {}

  void add(const Sample& s) { samples_.push_back(s); }
  void add(double time_s) { samples_.push_back(Sample{time_s, 0, false}); }

  // Whether to stop, given the wall time spent so far on this measurement.
  StopReason check(double elapsed_s) const;

  // Indices of the samples that count (throttled ones dropped, see the header comment).
  std::vector<std::size_t> kept() const;
  // Summary of the kept samples' times; throws vqt::Error when there are none.
  Summary summary() const;

  std::size_t total() const { return samples_.size(); }
  std::size_t discarded() const { return samples_.size() - kept().size(); }
  bool sustained_throttle() const;
  const std::vector<Sample>& samples() const { return samples_; }
  const ConvergenceRule& rule() const { return rule_; }

 private:
  std::vector<std::size_t> kept_by_clock() const;
  ConvergenceRule rule_;
  std::vector<Sample> samples_;
};

// GPU activities of one timed region (CUPTI start/end timestamps, ns).
struct Interval {
  std::uint64_t start_ns = 0, end_ns = 0;
};
struct IntervalSummary {
  double busy_s = 0;  // sum of the durations (overlapping activities count twice)
  double span_s = 0;  // first start to last end
  double gap_s = 0;   // span minus the union of the intervals: idle time between activities
  int count = 0;
};
IntervalSummary summarize_intervals(std::vector<Interval> v);

// Splits activities sorted by start into `reps` equal consecutive groups (one per launch) and
// sums each group's durations, seconds. Throws vqt::Error when the count is not a positive
// multiple of reps (launches that enqueue different numbers of kernels cannot be told apart).
std::vector<double> per_launch_busy_s(const std::vector<Interval>& sorted, int reps);

}  // namespace vqt::profiler
