#include "profiler/profiler.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "kernels/cuda_check.hpp"

namespace vqt::profiler {

Profiler::Profiler(const ProfilerOptions& opt) : opt_(opt) {
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
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  for (int i = 0; i < opt_.warmup_runs; ++i) {
    if (flush) flush_l2(stream);
    VQT_CUDA_CHECK(launch(stream));
  }
  VQT_CUDA_CHECK(cudaStreamSynchronize(stream));

  Convergence conv(rule);
  std::vector<double> gaps, spans, clocks_mhz;
  int activities = 0;
  std::size_t lost = 0;
  int lost_in_a_row = 0;
  for (;;) {
    if (flush) flush_l2(stream);
    ClockReading before, after;
    if (clocks_) before = clocks_->read();
    timer_->begin(stream);
    const cudaError_t err = launch(stream);
    if (err != cudaSuccess) {
      cudaDeviceSynchronize();
      VQT_CUDA_CHECK(err);
    }
    const RegionTiming t = timer_->end(stream);
    if (clocks_) after = clocks_->read();
    if (!is_timed_sample(t.busy_s, t.activities)) {
      ++lost;
      if (++lost_in_a_row >= kMaxLostSamplesInARow)
        throw Error("timing: the " + std::string(to_string(timer_->kind())) +
                    " timer saw no work in " + std::to_string(lost_in_a_row) +
                    " launches in a row (activity records not delivered)");
      continue;
    }
    lost_in_a_row = 0;
    Sample s;
    s.time_s = t.busy_s;
    if (before.valid && after.valid) s.sm_clock_mhz = std::min(before.sm_mhz, after.sm_mhz);
    s.hw_slowdown = before.hw_slowdown() || after.hw_slowdown();
    conv.add(s);
    gaps.push_back(t.gap_s);
    spans.push_back(t.span_s);
    clocks_mhz.push_back(s.sm_clock_mhz);
    activities = t.activities;
    const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    const StopReason r = conv.check(elapsed);
    if (r == StopReason::not_yet) continue;

    Measurement m;
    m.timer = timer_->kind();
    m.time = conv.summary();
    std::vector<double> kept_gaps, kept_spans, kept_clocks;
    for (std::size_t i : conv.kept()) {
      kept_gaps.push_back(gaps[i]);
      kept_spans.push_back(spans[i]);
      if (clocks_mhz[i] > 0) kept_clocks.push_back(clocks_mhz[i]);
    }
    m.gap_s = summarize(kept_gaps).median;
    m.span_s = summarize(kept_spans).median;
    if (!kept_clocks.empty()) m.sm_clock_mhz = summarize(kept_clocks).median;
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
