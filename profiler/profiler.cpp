#include "profiler/profiler.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "kernels/cuda_check.hpp"

namespace vqt::profiler {

Profiler::Profiler(const ProfilerOptions& opt) : opt_(opt) {
  if (opt.data_sets < 1)
    throw Error("ProfilerOptions::data_sets must be at least 1, got " +
                std::to_string(opt.data_sets));
  VQT_CUDA_CHECK(cudaSetDevice(opt.device));
  timer_ = make_region_timer(opt.prefer_cupti, &why_not_cupti_);
  if (opt.watch_clocks) clocks_ = std::make_unique<ClockMonitor>(opt.device);
  int l2 = 0;
  VQT_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, opt.device));
  l2_bytes_ = std::size_t(l2);
  if (opt.flush_l2) {
    flush_bytes_ = std::max<std::size_t>(2 * l2_bytes_, 8u << 20);
    VQT_CUDA_CHECK(cudaMalloc(&flush_buf_, flush_bytes_));
  }
}

Profiler::~Profiler() {
  if (flush_buf_) cudaFree(flush_buf_);
}

void Profiler::flush_l2(cudaStream_t stream) {
  if (!flush_buf_) return;
  VQT_CUDA_CHECK(cudaMemsetAsync(flush_buf_, 0x3c, flush_bytes_, stream));
}

Measurement Profiler::measure(const LaunchFn& launch, const ConvergenceRule& rule,
                              cudaStream_t stream, bool flush) {
  return measure(std::vector<LaunchFn>{launch}, rule, stream, flush);
}

namespace {

// One region: `launch` between begin and end; a failed launch synchronises and throws.
RegionTiming time_region(RegionTimer& timer, const LaunchFn& launch, cudaStream_t stream) {
  timer.begin(stream);
  const cudaError_t err = launch(stream);
  if (err != cudaSuccess) {
    cudaDeviceSynchronize();
    VQT_CUDA_CHECK(err);
  }
  return timer.end(stream);
}

}  // namespace

Measurement Profiler::measure(const std::vector<LaunchFn>& sets, const ConvergenceRule& rule,
                              cudaStream_t stream, bool flush) {
  if (sets.empty()) throw Error("Profiler::measure: no launch to time");
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  for (const LaunchFn& launch : sets)
    for (int i = 0; i < opt_.warmup_runs; ++i) {
      if (flush) flush_l2(stream);
      VQT_CUDA_CHECK(launch(stream));
    }
  VQT_CUDA_CHECK(cudaStreamSynchronize(stream));

  const std::size_t n_sets = sets.size();
  Convergence conv(rule);
  std::vector<double> gaps, spans, clocks_mhz;
  std::vector<std::vector<double>> set_times(n_sets);  // [set][sample]
  int activities = 0;
  std::size_t lost = 0;
  int lost_in_a_row = 0;
  std::vector<RegionTiming> round(n_sets);
  for (;;) {
    ClockReading before, after;
    bool timed = true;
    for (std::size_t j = 0; j < n_sets && timed; ++j) {
      if (flush) flush_l2(stream);
      if (clocks_ && j == 0) before = clocks_->read();
      round[j] = time_region(*timer_, sets[j], stream);
      timed = is_timed_sample(round[j].busy_s, round[j].activities);
    }
    if (clocks_) after = clocks_->read();
    if (!timed) {
      ++lost;
      if (++lost_in_a_row >= kMaxLostSamplesInARow)
        throw Error("timing: the " + std::string(to_string(timer_->kind())) +
                    " timer saw no work in " + std::to_string(lost_in_a_row) +
                    " launches in a row (activity records not delivered)");
      continue;
    }
    lost_in_a_row = 0;
    Sample s;
    double gap = 0, span = 0;
    for (std::size_t j = 0; j < n_sets; ++j) {
      s.time_s += round[j].busy_s / double(n_sets);
      gap += round[j].gap_s / double(n_sets);
      span += round[j].span_s / double(n_sets);
      set_times[j].push_back(round[j].busy_s);
    }
    if (before.valid && after.valid) s.sm_clock_mhz = std::min(before.sm_mhz, after.sm_mhz);
    s.hw_slowdown = before.hw_slowdown() || after.hw_slowdown();
    conv.add(s);
    gaps.push_back(gap);
    spans.push_back(span);
    clocks_mhz.push_back(s.sm_clock_mhz);
    activities = round.back().activities;
    const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    const StopReason r = conv.check(elapsed);
    if (r == StopReason::not_yet) continue;

    Measurement m;
    m.timer = timer_->kind();
    m.time = conv.summary();
    std::vector<double> kept_gaps, kept_spans, kept_clocks;
    std::vector<std::vector<double>> kept_sets(n_sets);
    for (std::size_t i : conv.kept()) {
      kept_gaps.push_back(gaps[i]);
      kept_spans.push_back(spans[i]);
      if (clocks_mhz[i] > 0) kept_clocks.push_back(clocks_mhz[i]);
      for (std::size_t j = 0; j < n_sets; ++j) kept_sets[j].push_back(set_times[j][i]);
    }
    m.gap_s = summarize(kept_gaps).median;
    m.span_s = summarize(kept_spans).median;
    if (!kept_clocks.empty()) m.sm_clock_mhz = summarize(kept_clocks).median;
    for (auto& times : kept_sets) m.set_median_s.push_back(summarize(std::move(times)).median);
    m.activities = activities;
    m.samples_total = conv.total();
    m.discarded_throttled = conv.discarded();
    m.lost = lost;
    m.sustained_throttle = conv.sustained_throttle();
    m.stop = r;
    m.elapsed_s = elapsed;
    return m;
  }
}

}  // namespace vqt::profiler
