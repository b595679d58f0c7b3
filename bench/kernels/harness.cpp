#include "bench/kernels/harness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <sstream>

#include "kernels/cuda_check.hpp"
#include "kernels/device_tensor.hpp"
#include "profiler/launch_timer.hpp"

namespace vqt::bench {

namespace {

class EventTimer final : public LaunchTimer {
 public:
  const char* name() const override { return "cuda_event"; }
  std::vector<double> time_each(const LaunchFn& launch, int first_set, int n_sets, int reps,
                                cudaStream_t stream) override {
    while (int(events_.size()) < reps + 1) {
      cudaEvent_t e;
      VQT_CUDA_CHECK(cudaEventCreate(&e));
      events_.push_back(e);
    }
    VQT_CUDA_CHECK(cudaEventRecord(events_[0], stream));
    for (int i = 0; i < reps; ++i) {
      launch((first_set + i) % n_sets, stream);
      VQT_CUDA_CHECK(cudaGetLastError());
      VQT_CUDA_CHECK(cudaEventRecord(events_[std::size_t(i) + 1], stream));
    }
    VQT_CUDA_CHECK(cudaEventSynchronize(events_[std::size_t(reps)]));
    std::vector<double> out(std::size_t(reps), 0.0);
    for (int i = 0; i < reps; ++i) {
      float ms = 0;
      VQT_CUDA_CHECK(
          cudaEventElapsedTime(&ms, events_[std::size_t(i)], events_[std::size_t(i) + 1]));
      out[std::size_t(i)] = double(ms) * 1e-3;
    }
    return out;
  }
  ~EventTimer() override {
    for (auto e : events_) VQT_CUDA_WARN(cudaEventDestroy(e));
  }

 private:
  std::vector<cudaEvent_t> events_;
};

// The adapter of docs/profiler.md: the profiler's CUPTI LaunchTimes behind LaunchTimer.
class CuptiTimer final : public LaunchTimer {
 public:
  const char* name() const override { return t_.name(); }
  std::vector<double> time_each(const LaunchFn& launch, int first_set, int n_sets, int reps,
                                cudaStream_t stream) override {
    return t_.time_each(launch, first_set, n_sets, reps, stream);
  }

 private:
  profiler::LaunchTimes t_;  // throws from its constructor when CUPTI cannot be used
};

struct TimerChoice {
  bool cupti = false;
  std::string why_not_cupti;
};

const TimerChoice& timer_choice() {
  static const TimerChoice choice = [] {
    TimerChoice c;
    const char* force = std::getenv("VQT_BENCH_TIMER");
    if (force && std::string(force) == "cuda_event") {
      c.why_not_cupti = "VQT_BENCH_TIMER=cuda_event";
      return c;
    }
    if (force && std::string(force) != "cupti")
      throw InputError(std::string("VQT_BENCH_TIMER='") + force +
                       "': accepted values are cupti and cuda_event");
    try {
      CuptiTimer probe;  // starts CUPTI and checks that a memset yields one activity record
      c.cupti = true;
    } catch (const std::exception& e) {
      c.why_not_cupti = e.what();
    }
    return c;
  }();
  return choice;
}

}  // namespace

std::unique_ptr<LaunchTimer> make_event_timer() {
  return std::make_unique<EventTimer>();
}

std::unique_ptr<LaunchTimer> make_cupti_timer() {
  return std::make_unique<CuptiTimer>();
}

std::unique_ptr<LaunchTimer> make_timer() {
  return timer_choice().cupti ? make_cupti_timer() : make_event_timer();
}

const char* timer_name() {
  return timer_choice().cupti ? "cupti" : "cuda_event";
}

const std::string& timer_fallback_reason() {
  return timer_choice().why_not_cupti;
}

TimingStats summarize(std::vector<double> s) {
  TimingStats t;
  t.count = int(s.size());
  if (s.empty()) return t;
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  t.median_s = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  t.min_s = s.front();
  t.max_s = s.back();
  t.mean_s = std::accumulate(s.begin(), s.end(), 0.0) / double(n);
  double var = 0;
  for (double x : s) var += (x - t.mean_s) * (x - t.mean_s);
  t.rel_stdev = n > 1 && t.mean_s > 0 ? std::sqrt(var / double(n - 1)) / t.mean_s : 0.0;
  return t;
}

int rotation_sets(std::size_t bytes_per_set, std::size_t l2_bytes) {
  if (bytes_per_set == 0) return 1;
  const std::size_t need = 2 * l2_bytes + 1;
  return int(std::max<std::size_t>(1, (need + bytes_per_set - 1) / bytes_per_set));
}

TimingStats time_cold(LaunchTimer& timer, const LaunchFn& launch, int n_sets, cudaStream_t stream,
                      const ColdRunConfig& cfg) {
  for (int i = 0; i < cfg.warmup; ++i) launch(i % n_sets, stream);
  VQT_CUDA_CHECK(cudaGetLastError());
  VQT_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> all;
  double total_s = 0;
  int next_set = cfg.warmup % n_sets;
  while (int(all.size()) < cfg.max_reps) {
    const int reps = std::min(cfg.batch, cfg.max_reps - int(all.size()));
    auto got = timer.time_each(launch, next_set, n_sets, reps, stream);
    next_set = (next_set + reps) % n_sets;
    for (double x : got) total_s += x;
    all.insert(all.end(), got.begin(), got.end());
    if (total_s >= cfg.max_time_s) break;
    if (int(all.size()) >= 2 * cfg.batch && summarize(all).rel_stdev <= cfg.target_rel_stdev) break;
  }
  return summarize(all);
}

void report(benchmark::State& state, const TimingStats& t, double bytes, double flops) {
  state.counters["median_us"] = t.median_s * 1e6;
  state.counters["min_us"] = t.min_s * 1e6;
  state.counters["rel_stdev"] = t.rel_stdev;
  state.counters["reps"] = t.count;
  state.counters["bytes"] = bytes;
  state.counters["flops"] = flops;
  state.counters["GB/s"] = t.median_s > 0 ? bytes / t.median_s * 1e-9 : 0.0;
  state.counters["TFLOP/s"] = t.median_s > 0 ? flops / t.median_s * 1e-12 : 0.0;
}

double measure_copy_bw_bytes_per_s(std::size_t bytes, int reps) {
  DeviceBuffer<std::uint8_t> a(bytes), b(bytes);
  a.fill_bytes(1);
  cudaStream_t stream;
  VQT_CUDA_CHECK(cudaStreamCreate(&stream));
  auto timer = make_timer();  // the benchmarks' timer, so their GB/s and this ceiling agree
  // Two buffers, alternate direction: each copy reads `bytes` and writes `bytes`.
  LaunchFn copy = [&](int set, cudaStream_t s) {
    if (set == 0)
      VQT_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice, s));
    else
      VQT_CUDA_CHECK(cudaMemcpyAsync(a.get(), b.get(), bytes, cudaMemcpyDeviceToDevice, s));
  };
  ColdRunConfig cfg;
  cfg.batch = reps;
  cfg.max_reps = reps;
  const TimingStats t = time_cold(*timer, copy, 2, stream, cfg);
  VQT_CUDA_CHECK(cudaStreamDestroy(stream));
  return 2.0 * double(bytes) / t.median_s;
}

std::string DeviceInfo::describe() const {
  std::ostringstream os;
  os << name << ", sm_" << cc_major << cc_minor << ", " << sm_count << " SMs, L2 "
     << (l2_bytes >> 20) << " MiB, driver " << driver_version / 1000 << "."
     << (driver_version % 1000) / 10 << ", runtime " << runtime_version / 1000 << "."
     << (runtime_version % 1000) / 10;
  return os.str();
}

DeviceInfo device_info(int device) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0)
    throw Error(std::string("no CUDA device: ") +
                (err != cudaSuccess ? cudaGetErrorString(err) : "device count is 0"));
  cudaDeviceProp p{};
  VQT_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  DeviceInfo d;
  d.name = p.name;
  d.sm_count = p.multiProcessorCount;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.l2_bytes = std::size_t(p.l2CacheSize);
  d.smem_per_block_optin_bytes = p.sharedMemPerBlockOptin;
  VQT_CUDA_CHECK(cudaDriverGetVersion(&d.driver_version));
  VQT_CUDA_CHECK(cudaRuntimeGetVersion(&d.runtime_version));
  return d;
}

double ResultTable::median_s(const std::string& problem, const std::string& variant) const {
  for (const auto& r : rows_)
    if (r.problem == problem && r.variant == variant) return r.t.median_s;
  return 0.0;
}

ResultTable& results() {
  static ResultTable table;
  return table;
}

}  // namespace vqt::bench
