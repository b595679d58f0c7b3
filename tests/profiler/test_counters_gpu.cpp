// gpu tier: hardware counters through the CUPTI range profiler (profiler/counters.hpp) against
// kernels whose traffic is known: streaming reads and writes far larger than the L2, a 32-way
// shared-memory bank conflict against a conflict-free access, kernel replay over two kernels, and
// the CUPTI activity timer still working after counting. Skips without a GPU, and says why when
// the counters cannot be read here (privileges, sandbox).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "profiler/ceilings_kernels.cuh"
#include "profiler/counters.hpp"
#include "profiler/cuda_check.hpp"
#include "profiler/profiler.hpp"
#include "tests/profiler/counter_kernels.cuh"
#include "tests/profiler/spin_kernel.cuh"

using namespace vqt::profiler;

namespace {

std::string no_gpu_reason() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) return std::string("no CUDA device: ") + cudaGetErrorString(e);
  if (n == 0) return "no CUDA device: 0";
  return {};
}

// The profiler, or a skip naming why counters are not available.
#define MAKE_COUNTERS(var, opt)                     \
  std::unique_ptr<CounterProfiler> var;             \
  do {                                              \
    const std::string why_ = no_gpu_reason();       \
    if (!why_.empty()) GTEST_SKIP() << why_;        \
    try {                                           \
      var = std::make_unique<CounterProfiler>(opt); \
    } catch (const CountersUnavailable& e) {        \
      GTEST_SKIP() << e.what();                     \
    }                                               \
  } while (0)

struct DevBuf {
  void* p = nullptr;
  explicit DevBuf(std::size_t bytes) { VQT_CUDA_CALL(cudaMalloc(&p, bytes)); }
  ~DevBuf() { cudaFree(p); }
  float* f() const { return static_cast<float*>(p); }
};

constexpr std::size_t kGiB = std::size_t(1) << 30;

int sm_count() {
  int sms = 0;
  VQT_CUDA_CALL(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  return sms;
}

double value(const Counts& c, CounterId id) {
  const auto v = c.get(id);
  EXPECT_TRUE(v.has_value()) << counter_info(id).metric << " not available";
  return v.value_or(-1.0);
}

void print(const char* what, const Counts& c) {
  std::printf("%s: replay %s, %d passes, %d ranges, chip %s\n", what, to_string(c.replay), c.passes,
              c.ranges, c.chip.c_str());
  for (const auto& v : c.values)
    std::printf("  %-52s %s%.6g\n", counter_info(v.id).metric, v.available ? "" : "(n/a) ",
                v.value);
}

// Counts one launch of two read kernels over the two halves of a freshly filled buffer of
// 2 x half bytes.
Counts count_two_reads(CounterProfiler& cp, std::size_t half) {
  DevBuf a(2 * half), sink(64);
  VQT_CUDA_CALL(detail::launch_fill(a.f(), 2 * half / 4, 2, nullptr));
  const char* second = static_cast<const char*>(a.p) + half;
  return cp.count([&](cudaStream_t s) {
    cudaError_t e = detail::launch_read(a.p, half / 16, sink.f(), sm_count() * 8, s);
    if (e == cudaSuccess) e = detail::launch_read(second, half / 16, sink.f(), sm_count() * 8, s);
    return e;
  });
}

}  // namespace

TEST(Counters, StreamingReadCountsDramReadBytes) {
  MAKE_COUNTERS(cp, CounterOptions{});
  const std::size_t bytes = 2 * kGiB;  // 40x the H100's L2
  DevBuf a(bytes), sink(64);
  VQT_CUDA_CALL(detail::launch_fill(a.f(), bytes / 4, 1, nullptr));
  const Counts c = cp->count([&](cudaStream_t s) {
    return detail::launch_read(a.p, bytes / 16, sink.f(), sm_count() * 8, s);
  });
  print("read 2 GiB", c);
  EXPECT_GE(c.passes, 1);
  EXPECT_EQ(c.ranges, 1);
  EXPECT_NEAR(value(c, CounterId::dram_read_bytes) / double(bytes), 1.0, 0.03);
  EXPECT_LT(value(c, CounterId::dram_write_bytes), 0.01 * double(bytes));
  // Every byte crosses the L2 once on its way from DRAM to the SMs.
  EXPECT_GT(value(c, CounterId::l2_from_l1_sectors) * 32.0, 0.97 * double(bytes));
  const double occ = value(c, CounterId::achieved_occupancy_pct);
  EXPECT_GT(occ, 0.0);
  EXPECT_LE(occ, 100.0);
}

TEST(Counters, StreamingWriteCountsDramWriteBytes) {
  MAKE_COUNTERS(cp, CounterOptions{});
  // 4 GiB: the dirty lines still in the 50 MiB L2 when the kernel ends (not written back inside
  // the range) are then ~1 % of the bytes.
  const std::size_t bytes = 4 * kGiB;
  DevBuf a(bytes);
  const Counts c = cp->count(
      [&](cudaStream_t s) { return detail::launch_write(a.p, bytes / 16, sm_count() * 8, s); });
  print("write 4 GiB", c);
  EXPECT_NEAR(value(c, CounterId::dram_write_bytes) / double(bytes), 1.0, 0.03);
  EXPECT_LT(value(c, CounterId::dram_read_bytes), 0.03 * double(bytes));
}

TEST(Counters, KernelReplaySumsTheKernelsOfOneLaunch) {
  CounterOptions opt;
  opt.replay = ReplayMode::kernel;
  MAKE_COUNTERS(cp, opt);
  const std::size_t half = kGiB;
  const Counts c = count_two_reads(*cp, half);
  print("kernel replay, 2 x read 1 GiB", c);
  EXPECT_EQ(c.replay, ReplayMode::kernel);
  EXPECT_EQ(c.ranges, 2);
  EXPECT_NEAR(value(c, CounterId::dram_read_bytes) / double(2 * half), 1.0, 0.03);
}

TEST(Counters, NamedMetricsAreCountedBesideTheTable) {
  CounterOptions opt;
  opt.replay = ReplayMode::kernel;
  opt.raw_metrics = {"l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum",
                     "l1tex__t_sectors_pipe_lsu_mem_global_op_ld.sum", "dram__bytes_read.sum",
                     "sm__cycles_elapsed.max"};
  MAKE_COUNTERS(cp, opt);
  // Two kernels, each warp-wide 16-byte loads over 256 MiB: one request per 512 bytes, one
  // sector per 32.
  const std::size_t half = kGiB / 4;
  const Counts c = count_two_reads(*cp, half);
  print("kernel replay, named metrics", c);
  ASSERT_EQ(c.raw.size(), 4u);
  for (const auto& m : c.raw) std::printf("  %-52s %.6g\n", m.metric.c_str(), m.value);
  for (const auto& m : c.raw) EXPECT_TRUE(m.available) << m.metric;
  EXPECT_EQ(c.raw[0].metric, "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum");
  EXPECT_NEAR(c.raw[0].value / (2.0 * double(half) / 512), 1.0, 0.01);
  EXPECT_NEAR(c.raw[1].value / (2.0 * double(half) / 32), 1.0, 0.01);
  // The same metric asked twice (table and by name) is one value.
  EXPECT_DOUBLE_EQ(c.raw[2].value, value(c, CounterId::dram_read_bytes));
  EXPECT_GT(c.raw[3].value, 0.0);

  CounterOptions bad;
  bad.raw_metrics = {"l1tex__no_such_metric_here.sum"};
  if (no_gpu_reason().empty()) {
    try {
      CounterProfiler p(bad);
      ADD_FAILURE() << "an unknown metric name was accepted";
    } catch (const vqt::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("l1tex__no_such_metric_here.sum"), std::string::npos)
          << e.what();
    }
  }
}

TEST(Counters, ThirtyTwoWayBankConflictAgainstConflictFree) {
  MAKE_COUNTERS(cp, CounterOptions{});
  DevBuf sink(64);
  const int blocks = sm_count() * 2, threads = 256, iters = 1024;
  const double requests = double(blocks) * (threads / 32) * iters;
  auto run = [&](int stride) {
    return cp->count([&](cudaStream_t s) {
      return vqt::test::launch_smem_stride(stride, iters, sink.f(), blocks, threads, s);
    });
  };
  const Counts free = run(1), conflicted = run(32);
  print("stride 1", free);
  print("stride 32", conflicted);
  EXPECT_NEAR(value(free, CounterId::smem_ld_requests) / requests, 1.0, 0.01);
  EXPECT_NEAR(value(conflicted, CounterId::smem_ld_requests) / requests, 1.0, 0.01);
  const double wf1 = value(free, CounterId::smem_ld_wavefronts);
  const double wf32 = value(conflicted, CounterId::smem_ld_wavefronts);
  EXPECT_NEAR(wf1 / requests, 1.0, 0.02);
  EXPECT_NEAR(wf32 / wf1, 32.0, 0.64);  // the known factor, within 2 %
  EXPECT_LT(value(free, CounterId::smem_ld_bank_conflicts), 0.01 * requests);
  EXPECT_NEAR(value(conflicted, CounterId::smem_ld_bank_conflicts) / requests, 31.0, 0.62);
  // The conflict factor `vqtune profile` reports: wavefronts / (wavefronts - conflicts).
  const double c32 = value(conflicted, CounterId::smem_ld_bank_conflicts);
  EXPECT_NEAR(wf32 / (wf32 - c32), 32.0, 1.0);
}

TEST(Counters, CleanL2KeepsEarlierDirtyLinesOutOfTheRange) {
  // The timer's L2 flush is a memset: it leaves the L2 full of dirty lines, which the next
  // kernel writes back to DRAM as it evicts them. The counters' cleaner reads instead.
  CounterOptions opt;
  opt.counters = {CounterId::dram_read_bytes, CounterId::dram_write_bytes};
  opt.clean_l2 = false;
  MAKE_COUNTERS(dirty, opt);
  opt.clean_l2 = true;
  CounterProfiler clean(opt);
  Profiler prof;
  const std::size_t bytes = 256u << 20;
  DevBuf a(bytes), sink(64);
  VQT_CUDA_CALL(detail::launch_fill(a.f(), bytes / 4, 3, nullptr));
  const LaunchFn read = [&](cudaStream_t s) {
    return detail::launch_read(a.p, bytes / 16, sink.f(), sm_count() * 8, s);
  };
  prof.flush_l2(nullptr);
  VQT_CUDA_CALL(cudaDeviceSynchronize());
  const Counts after_memset = dirty->count(read);
  const Counts after_clean = clean.count(read);
  print("read 256 MiB after the timer's memset flush", after_memset);
  print("read 256 MiB after the counters' clean read", after_clean);
  std::printf("dirty-line write-back inside the next kernel after a memset flush: %.1f MB\n",
              value(after_memset, CounterId::dram_write_bytes) / 1e6);
  EXPECT_LT(value(after_clean, CounterId::dram_write_bytes), 0.01 * double(bytes));
  EXPECT_NEAR(value(after_clean, CounterId::dram_read_bytes) / double(bytes), 1.0, 0.03);
}

TEST(Counters, ActivityTimerStillWorksAfterCounting) {
  MAKE_COUNTERS(cp, CounterOptions{});
  DevBuf sink(64);
  (void)cp->count([&](cudaStream_t s) { return vqt::test::launch_spin(50000, s); });
  auto t = make_region_timer(true);
#ifdef VQT_HAVE_CUPTI
  ASSERT_EQ(t->kind(), TimerKind::cupti);
#endif
  for (int rep = 0; rep < 3; ++rep) {
    t->begin(nullptr);
    VQT_CUDA_CALL(vqt::test::launch_spin(200000, nullptr));
    const RegionTiming r = t->end(nullptr);
    if (t->kind() == TimerKind::cupti) {
      EXPECT_EQ(r.activities, 1);
    }
    EXPECT_NEAR(r.busy_s, 200e-6, 20e-6);
  }
  // And a second count in the same process gives the same answer.
  const Counts a = cp->count([&](cudaStream_t s) { return vqt::test::launch_spin(50000, s); });
  // gpu__time_duration under profiling includes the profiler's own work (115 us for this 50 us
  // kernel on the H100): a sanity bound, not a timing.
  EXPECT_GT(value(a, CounterId::gpu_time_ns), 45000.0);
  EXPECT_LT(value(a, CounterId::gpu_time_ns), 1000000.0);
}
