// Benchmark harness for the kernels (bench/kernels/*, reused by the GEMM/attention benches and the
// tuner): cold-cache timing by rotating input sets over more than 2x L2, GPU time per launch from
// a LaunchTimer (CUPTI activity records when the build has them, else cudaEvents: make_timer()),
// median / min / max / relative stdev, bytes and FLOP counters for Google Benchmark's manual time,
// the device-to-device copy bandwidth of the same run, and a closing result table.
//
// Assumes one GPU, nothing else running on it, and launches that only touch their own set.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace vqt::bench {

// launch(set, stream): enqueue one run on `stream` using input set `set`.
using LaunchFn = std::function<void(int set, cudaStream_t stream)>;

// How launches are timed. time_each() enqueues `reps` launches back to back (so host launch
// overhead hides behind GPU work) and returns the GPU seconds of each.
class LaunchTimer {
 public:
  virtual ~LaunchTimer() = default;
  virtual const char* name() const = 0;
  virtual std::vector<double> time_each(const LaunchFn& launch, int first_set, int n_sets, int reps,
                                        cudaStream_t stream) = 0;
};

// cudaEvent pairs between consecutive launches ("cuda_event"): includes launch gaps.
std::unique_ptr<LaunchTimer> make_event_timer();

// CUPTI activity records ("cupti", profiler/launch_timer.hpp): a launch's time is the sum of its
// kernels'/copies' GPU durations, the same clock as the tuner's. Throws vqt::Error when the build
// has no CUPTI (VQT_ENABLE_CUPTI=OFF) or CUPTI cannot record activities here.
std::unique_ptr<LaunchTimer> make_cupti_timer();

// The timer every benchmark uses: CUPTI when it works in this process, else cudaEvents. Decided
// once (the first call tries CUPTI); timer_name() is the kind make_timer() returns and
// timer_fallback_reason() why it is not CUPTI ("" when it is). Print timer_name() with results.
// VQT_BENCH_TIMER=cuda_event in the environment forces events (e.g. under ncu); =cupti is the
// default; anything else throws vqt::InputError.
std::unique_ptr<LaunchTimer> make_timer();
const char* timer_name();
const std::string& timer_fallback_reason();

struct TimingStats {
  double median_s = 0, min_s = 0, max_s = 0, mean_s = 0, rel_stdev = 0;
  int count = 0;
};
TimingStats summarize(std::vector<double> samples_s);

struct ColdRunConfig {
  int warmup = 3;                  // untimed launches first (module load, cuBLAS heuristics)
  int batch = 20;                  // launches per timed batch
  int max_reps = 400;              // stop after this many timed launches ...
  double max_time_s = 0.3;         // ... or this much GPU time ...
  double target_rel_stdev = 0.01;  // ... or when the relative stdev falls below this
};

// Input sets of `bytes_per_set` needed so that the rotation covers more than 2x L2 (at least 1).
int rotation_sets(std::size_t bytes_per_set, std::size_t l2_bytes);

// Cold-cache timing: warm up, then batches of launches rotating set = rep % n_sets, until a stop
// rule of `cfg` holds. Throws vqt::Error on CUDA errors.
TimingStats time_cold(LaunchTimer& timer, const LaunchFn& launch, int n_sets, cudaStream_t stream,
                      const ColdRunConfig& cfg = {});

// Google Benchmark glue (use with ->UseManualTime()->Iterations(1)): manual time = median, and the
// counters median_us, min_us, rel_stdev, GB/s (bytes / median), TFLOP/s, bytes, flops.
void report(benchmark::State& state, const TimingStats& t, double bytes, double flops);

// Device-to-device cudaMemcpy bandwidth over `bytes`, read + written bytes counted, median of
// `reps` copies: the ceiling every GB/s figure of the run is compared with.
double measure_copy_bw_bytes_per_s(std::size_t bytes = std::size_t(1) << 30, int reps = 20);

struct DeviceInfo {
  std::string name;
  int sm_count = 0;
  int cc_major = 0, cc_minor = 0;
  std::size_t l2_bytes = 0;
  std::size_t smem_per_block_optin_bytes = 0;
  int driver_version = 0, runtime_version = 0;
  std::string describe() const;  // "NVIDIA H100 80GB HBM3, sm_90, 132 SMs, L2 50 MiB, driver ..."
};
// Throws vqt::Error when no device is present.
DeviceInfo device_info(int device = 0);

// One timed variant of one problem, for the closing table.
struct ResultRow {
  std::string problem;  // e.g. "llama-65b 22016x8192 b1 quip#-4"
  std::string variant;  // e.g. "cublas_fp16", "vq_global", "vq_best[reg=0,smem=256,...]"
  TimingStats t;
  double bytes = 0;  // compulsory bytes of the problem
  double flops = 0;
};

class ResultTable {
 public:
  void add(ResultRow row) { rows_.push_back(std::move(row)); }
  const std::vector<ResultRow>& rows() const { return rows_; }
  // Median time of (problem, variant), or 0 when absent.
  double median_s(const std::string& problem, const std::string& variant) const;

 private:
  std::vector<ResultRow> rows_;
};

// The process-wide table the benchmarks fill.
ResultTable& results();

}  // namespace vqt::bench
