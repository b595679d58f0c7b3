// gpu tier: CUPTI activity timing against kernels of known duration, the cudaEvent fallback, gap
// reporting, the measurement loop, the L2 flush and the clock monitor.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "profiler/ceilings.hpp"
#include "profiler/ceilings_kernels.cuh"
#include "profiler/cuda_check.hpp"
#include "profiler/launch_timer.hpp"
#include "profiler/profiler.hpp"
#include "tests/profiler/spin_kernel.cuh"

using namespace vqt::profiler;
using vqt::test::launch_spin;

namespace {

// A GPU is present; the spin kernel is loaded (lazy module loading would otherwise add the load
// to the first timed launch, as any measurement's warm-up avoids).
bool have_gpu(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    *why = std::string("no CUDA device: ") + (e != cudaSuccess ? cudaGetErrorString(e) : "0");
    return false;
  }
  static const bool warmed = [] {
    launch_spin(1000, nullptr);
    return cudaDeviceSynchronize() == cudaSuccess;
  }();
  if (!warmed) *why = "the warm-up launch failed";
  return warmed;
}

#define REQUIRE_GPU()                           \
  do {                                          \
    std::string why_;                           \
    if (!have_gpu(&why_)) GTEST_SKIP() << why_; \
  } while (0)

}  // namespace

TEST(CuptiTimer, IsUsedWhenBuiltWithIt) {
  REQUIRE_GPU();
  std::string why;
  auto t = make_region_timer(true, &why);
#ifdef VQT_HAVE_CUPTI
  EXPECT_EQ(t->kind(), TimerKind::cupti) << "fell back: " << why;
#else
  EXPECT_EQ(t->kind(), TimerKind::cuda_event);
  EXPECT_FALSE(why.empty());
#endif
}

TEST(CuptiTimer, KnownDurationsSumAndGapsAreReported) {
  REQUIRE_GPU();
  auto t = make_region_timer(true);
  if (t->kind() != TimerKind::cupti) GTEST_SKIP() << "CUPTI not available";
  // Two 200 us kernels back to back: 2 activities, ~400 us busy, small gap; in every region
  // (activity buffers are recycled between regions without slowing the launches down).
  for (int rep = 0; rep < 4; ++rep) {
    t->begin(nullptr);
    VQT_CUDA_CALL(launch_spin(200000, nullptr));
    VQT_CUDA_CALL(launch_spin(200000, nullptr));
    RegionTiming a = t->end(nullptr);
    EXPECT_EQ(a.activities, 2);
    EXPECT_NEAR(a.busy_s, 400e-6, 20e-6);
    // Launched back to back, the second kernel is queued long before the first ends, yet under
    // CUPTI the H100 showed 37-163 us between them (open question, NOTES-profiler.md); the gap is
    // reported, not bounded here, and the idle case below checks that it is measured at all.
    EXPECT_GE(a.gap_s, 0.0) << "region " << rep;
    EXPECT_NEAR(a.span_s, a.busy_s + a.gap_s, 1e-6);
  }
  // Same two kernels with the host idling 3 ms between launches: the busy time stays, the gap
  // shows the idle time, and the event timer (which cannot see it) includes it.
  auto ev = make_event_timer();
  for (RegionTimer* timer : {t.get(), ev.get()}) {
    timer->begin(nullptr);
    VQT_CUDA_CALL(launch_spin(200000, nullptr));
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    VQT_CUDA_CALL(launch_spin(200000, nullptr));
    const RegionTiming b = timer->end(nullptr);
    if (timer->kind() == TimerKind::cupti) {
      EXPECT_EQ(b.activities, 2);
      EXPECT_NEAR(b.busy_s, 400e-6, 20e-6);
      EXPECT_GT(b.gap_s, 2.5e-3);
      EXPECT_NEAR(b.span_s, b.busy_s + b.gap_s, 1e-6);
    } else {
      EXPECT_EQ(b.activities, -1);
      EXPECT_GT(b.busy_s, 3.2e-3);
    }
  }
}

TEST(CuptiTimer, WorkBeforeTheRegionIsNotCountedAndAShortFirstKernelLeavesNoGap) {
  REQUIRE_GPU();
  auto t = make_region_timer(true);
  if (t->kind() != TimerKind::cupti) GTEST_SKIP() << "CUPTI not available";
  // The profiler's pattern: an L2-flush memset outside the region, then the region. The memset
  // must not be counted, and a 2 us first kernel must not be followed by the ~200 us gap a
  // forced flush in begin() used to cause (NOTES-profiler.md).
  void* buf = nullptr;
  VQT_CUDA_CALL(cudaMalloc(&buf, 64u << 20));
  for (int rep = 0; rep < 5; ++rep) {
    VQT_CUDA_CALL(cudaMemsetAsync(buf, rep, 64u << 20, nullptr));
    t->begin(nullptr);
    VQT_CUDA_CALL(launch_spin(2000, nullptr));
    VQT_CUDA_CALL(launch_spin(200000, nullptr));
    const RegionTiming a = t->end(nullptr);
    EXPECT_EQ(a.activities, 2) << "region " << rep;
    EXPECT_NEAR(a.busy_s, 202e-6, 20e-6) << "region " << rep;
    if (rep > 0) {
      EXPECT_LT(a.gap_s, 20e-6) << "region " << rep;
    }
  }
  VQT_CUDA_CALL(cudaFree(buf));
}

TEST(CuptiTimer, TheRegionIsWhatWasLaunchedInItAndBeginsMarkerIsNotCounted) {
  REQUIRE_GPU();
  auto t = make_region_timer(true);
  if (t->kind() != TimerKind::cupti) GTEST_SKIP() << "CUPTI not available";
  // The region is told apart by correlation id behind begin()'s 4-byte marker memset: ten
  // undelivered kernels before it stay out, a 4-byte memset of the region's own (another value)
  // and its kernel are in, the marker is not.
  void* small = nullptr;
  VQT_CUDA_CALL(cudaMalloc(&small, 4));
  for (int rep = 0; rep < 3; ++rep) {
    for (int i = 0; i < 10; ++i) VQT_CUDA_CALL(launch_spin(2000, nullptr));
    t->begin(nullptr);
    VQT_CUDA_CALL(cudaMemsetAsync(small, 0x11, 4, nullptr));
    VQT_CUDA_CALL(launch_spin(50000, nullptr));
    const RegionTiming a = t->end(nullptr);
    EXPECT_EQ(a.activities, 2) << "region " << rep;
    EXPECT_NEAR(a.busy_s, 50e-6, 8e-6) << "region " << rep;
  }
  VQT_CUDA_CALL(cudaFree(small));
}

TEST(EventTimer, AgreesWithCuptiOnOneKernel) {
  REQUIRE_GPU();
  auto cupti = make_region_timer(true);
  auto ev = make_event_timer();
  // Median of 5 regions each after one untimed region: the event pair also holds the launch
  // latency, so it may only be a little longer.
  for (RegionTimer* timer : {cupti.get(), ev.get()}) {
    std::vector<double> t;
    for (int rep = 0; rep < 6; ++rep) {
      timer->begin(nullptr);
      VQT_CUDA_CALL(launch_spin(500000, nullptr));
      const double s = timer->end(nullptr).busy_s;
      if (rep > 0) t.push_back(s);
    }
    const double med = summarize(t).median;
    EXPECT_NEAR(med, 500e-6, 25e-6) << to_string(timer->kind()) << " max " << summarize(t).max;
  }
}

TEST(Profiler, MeasureConvergesOnAStableKernel) {
  REQUIRE_GPU();
  Profiler prof;
  const Measurement m =
      prof.measure([](cudaStream_t s) { return launch_spin(100000, s); }, ConvergenceRule{});
  EXPECT_TRUE(m.converged()) << to_string(m.stop) << " rel stdev " << m.time.rel_stdev;
  EXPECT_GE(m.time.count, 10u);
  EXPECT_LT(m.time.rel_stdev, 0.005);
  EXPECT_NEAR(m.time.median, 100e-6, 5e-6);
  EXPECT_LE(m.time.min, m.time.median);
  EXPECT_GE(m.time.max, m.time.median);
  EXPECT_EQ(m.timer, prof.timer_kind());
  if (m.timer == TimerKind::cupti) {
    EXPECT_EQ(m.activities, 1);
  }
}

TEST(Profiler, DataSetsSampleIsTheMeanOfOneLaunchPerSet) {
  REQUIRE_GPU();
  Profiler prof;
  ConvergenceRule rule;
  rule.max_time_s = 1.0;
  // Two "copies" whose launches take 50 and 150 us: a sample is their mean, 100 us, and each
  // set's own median is kept; the noise within the sets is small, so it converges.
  const Measurement m =
      prof.measure(std::vector<LaunchFn>{[](cudaStream_t s) { return launch_spin(50000, s); },
                                         [](cudaStream_t s) { return launch_spin(150000, s); }},
                   rule);
  EXPECT_TRUE(m.converged()) << to_string(m.stop) << " rel stdev " << m.time.rel_stdev;
  EXPECT_NEAR(m.time.median, 100e-6, 5e-6);
  ASSERT_EQ(m.set_median_s.size(), 2u);
  EXPECT_NEAR(m.set_median_s[0], 50e-6, 3e-6);
  EXPECT_NEAR(m.set_median_s[1], 150e-6, 5e-6);
  if (m.timer == TimerKind::cupti) {
    EXPECT_EQ(m.activities, 1);  // per region: each set is timed in its own
  }
  const Measurement one = prof.measure([](cudaStream_t s) { return launch_spin(50000, s); }, rule);
  ASSERT_EQ(one.set_median_s.size(), 1u);
  EXPECT_DOUBLE_EQ(one.set_median_s[0], one.time.median);

  EXPECT_THROW(prof.measure(std::vector<LaunchFn>{}, rule), vqt::Error);
  ProfilerOptions none;
  none.data_sets = 0;
  EXPECT_THROW(Profiler{none}, vqt::Error);
}

TEST(Profiler, LaunchErrorsThrowWithTheirCode) {
  REQUIRE_GPU();
  Profiler prof;
  try {
    prof.measure([](cudaStream_t) { return cudaErrorInvalidConfiguration; });
    FAIL() << "no exception";
  } catch (const vqt::CudaError& e) {
    EXPECT_EQ(e.code(), cudaErrorInvalidConfiguration);
  }
}

TEST(Profiler, L2FlushMakesAnL2ResidentReadSlower) {
  REQUIRE_GPU();
  Profiler prof;
  // 24 MiB (half of the H100's L2): HBM ~8 us cold, L2 ~3 us warm at the measured ceilings.
  const std::size_t bytes = std::min<std::size_t>(prof.l2_bytes() / 2, 24u << 20);
  void* buf = nullptr;
  void* sink_v = nullptr;
  VQT_CUDA_CALL(cudaMalloc(&buf, bytes));
  VQT_CUDA_CALL(cudaMalloc(&sink_v, 64));
  float* sink = static_cast<float*>(sink_v);
  VQT_CUDA_CALL(detail::launch_fill(static_cast<float*>(buf), bytes / 4, 7, nullptr));
  // ld.global.cg, one pass (the streaming read kernel's ld.global.cs marks lines evict-first, so
  // a warm rerun of it misses L2 anyway: that made this test pass vacuously close to 1x).
  auto read = [&](cudaStream_t s) {
    return detail::launch_l2_read(buf, bytes / 16, 1, sink, 1056, s);
  };
  ConvergenceRule rule;
  rule.max_time_s = 1.0;
  const Measurement cold = prof.measure(read, rule, nullptr, true);
  const Measurement warm = prof.measure(read, rule, nullptr, false);
  cudaFree(buf);
  cudaFree(sink);
  EXPECT_GT(cold.time.median, 1.15 * warm.time.median)
      << "cold " << cold.time.median << " s, warm " << warm.time.median << " s";
}

TEST(ClockMonitor, ReadsAPlausibleSmClock) {
  REQUIRE_GPU();
  ClockMonitor mon(0);
  if (!mon.available()) GTEST_SKIP() << "NVML: " << mon.unavailable_reason();
  const ClockReading r = mon.read();
  ASSERT_TRUE(r.valid);
  EXPECT_GT(r.sm_mhz, 100.0);
  EXPECT_LT(r.sm_mhz, 4000.0);
  EXPECT_GE(mon.max_sm_mhz(), r.sm_mhz);
}

TEST(Ceilings, HbmCopyAndPinnedH2DArePlausible) {
  REQUIRE_GPU();
  Profiler prof;
  CeilingsOptions opt;
  opt.only = {"hbm_copy", "pcie_h2d"};
  opt.cap_s = 2.0;
  const auto c = measure_ceilings(prof, opt, nullptr);
  ASSERT_EQ(c.size(), 2u);
  const DeviceInfo info = device_info(0);
  // Bounds wide enough for any GPU this project targets, tight enough to catch a unit slip
  // (GB vs GiB is 7 %, but bytes vs bits or read-only vs read+write is 2x or more).
  EXPECT_GT(c[0].value, 0.3e12) << info.name;
  EXPECT_LT(c[0].value, 10e12) << info.name;
  EXPECT_GT(c[1].value, 5e9);
  EXPECT_LT(c[1].value, 150e9);
  EXPECT_THROW(measure_ceilings(prof, CeilingsOptions{{"nope"}, 1.0, 0.01}, nullptr),
               vqt::InputError);
}

// The launch ceilings from the GPU's side: a kernel node of a graph costs the GPU less than a
// stream launch, and neither is below 0.1 us or above 20 us on any GPU this project targets.
TEST(Ceilings, GraphNodesAreCheaperForTheGpuThanStreamLaunches) {
  REQUIRE_GPU();
  Profiler prof;
  CeilingsOptions opt;
  opt.only = {"launch_gpu", "launch_graph"};
  opt.cap_s = 2.0;
  const auto c = measure_ceilings(prof, opt, nullptr);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].name, "launch_graph");
  for (const auto& x : c) {
    EXPECT_GT(x.value, 0.1e-6) << x.name;
    EXPECT_LT(x.value, 20e-6) << x.name;
    EXPECT_GE(x.m.samples_total, 10) << x.name;
  }
  EXPECT_LT(c[1].value, c[0].value);
}

TEST(LaunchTimes, PerLaunchTimesOfTwoKernelLaunches) {
  REQUIRE_GPU();
#ifndef VQT_HAVE_CUPTI
  GTEST_SKIP() << "built without CUPTI";
#else
  LaunchTimes lt;
  std::vector<int> sets;
  // Each launch: two kernels of 30 us and 20 us; set rotates 2, 0, 1, 2, 0.
  const auto t = lt.time_each(
      [&](int set, cudaStream_t s) {
        sets.push_back(set);
        VQT_CUDA_CALL(launch_spin(30000, s));
        VQT_CUDA_CALL(launch_spin(20000, s));
      },
      2, 3, 5, nullptr);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(lt.activities_per_launch(), 2);
  EXPECT_EQ(sets, (std::vector<int>{2, 0, 1, 2, 0}));
  for (double x : t) EXPECT_NEAR(x, 50e-6, 5e-6);
#endif
}

// Diagnosis of the 37-163 us gaps between back-to-back kernels under CUPTI on the H100
// (NOTES-profiler.md), run by hand with --gtest_also_run_disabled_tests: the host time of each
// launch call next to the GPU gap it is followed by. A launch call that takes about the previous
// kernel's duration plus the gap means the host blocked inside the launch (an implicit
// synchronisation); a short call with a gap means the GPU waited.
TEST(CuptiTimer, DISABLED_GapDiagnosis) {
  REQUIRE_GPU();
  auto t = make_region_timer(true);
  if (t->kind() != TimerKind::cupti) GTEST_SKIP() << "CUPTI not available";
  using clk = std::chrono::steady_clock;
  auto us = [](clk::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
  for (int variant = 0; variant < 3; ++variant) {
    // 0: two 200 us kernels; 1: a 1 us kernel first, then the two; 2: the two, the host sleeping
    // 1 ms after begin() (CUPTI's own work after the forced flush has time to finish).
    for (int rep = 0; rep < 4; ++rep) {
      t->begin(nullptr);
      if (variant == 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::vector<double> call_us;
      const int n = variant == 1 ? 3 : 2;
      for (int i = 0; i < n; ++i) {
        const auto c0 = clk::now();
        VQT_CUDA_CALL(launch_spin(variant == 1 && i == 0 ? 1000 : 200000, nullptr));
        call_us.push_back(us(clk::now() - c0));
      }
      t->end(nullptr);
      const auto& acts = t->last_intervals();
      std::printf("variant %d rep %d: launch calls", variant, rep);
      for (double c : call_us) std::printf(" %.1f", c);
      std::printf(" us; kernels");
      for (std::size_t i = 0; i < acts.size(); ++i) {
        std::printf(" [%.1f us]", double(acts[i].end_ns - acts[i].start_ns) / 1e3);
        if (i + 1 < acts.size())
          std::printf(" gap %.1f",
                      double(acts[i + 1].start_ns) / 1e3 - double(acts[i].end_ns) / 1e3);
      }
      std::printf("\n");
    }
  }
}
