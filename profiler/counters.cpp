// CounterProfiler (counters.hpp) over the CUPTI range profiler. Without VQT_ENABLE_CUPTI the
// constructor throws CountersUnavailable.
#include "profiler/counters.hpp"

#ifdef VQT_HAVE_CUPTI
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cupti.h>
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_target.h>

#include "profiler/cupti_host.hpp"
#endif

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda_check.hpp"
#include "profiler/counters_kernels.cuh"

namespace vqt::profiler {

#ifdef VQT_HAVE_CUPTI

namespace {

// Every CUPTI failure names the call; codes that mean "no counters here" (privileges, sandbox,
// vGPU, MIG, another profiler) become CountersUnavailable with what to do; during set-up any
// failure does (gVisor, for one, answers with generic errors).
void check(CUptiResult r, const char* call, bool setup) {
  if (r == CUPTI_SUCCESS) return;
  const char* text = nullptr;
  cuptiGetResultString(r, &text);
  std::string msg = std::string("CUPTI ") + call + ": " + (text ? text : "unknown error") +
                    " (CUptiResult " + std::to_string(int(r)) + ")";
  const std::string hint = counters_unavailable_hint(int(r));
  if (!hint.empty())
    throw CountersUnavailable("hardware counters are not available: " + msg + ": " + hint);
  if (setup) throw CountersUnavailable("hardware counters are not available: " + msg);
  throw Error(msg);
}
#define VQT_CUPTI_SETUP(call) check((call), #call, true)
#define VQT_CUPTI_RUN(call) check((call), #call, false)

// The current CUcontext through the runtime's driver entry point (linking libcuda would make every
// binary need the driver library, also on machines that only run the cpu tests).
CUcontext current_context() {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult q{};
  if (cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &fn, 4000, cudaEnableDefault, &q) !=
          cudaSuccess ||
      q != cudaDriverEntryPointSuccess || !fn)
    throw Error("cannot reach the CUDA driver's cuCtxGetCurrent");
  CUcontext ctx = nullptr;
  if (reinterpret_cast<PFN_cuCtxGetCurrent_v4000>(fn)(&ctx) != CUDA_SUCCESS || !ctx)
    throw Error("no current CUDA context");
  return ctx;
}

// cuptiProfilerInitialize once per process; never de-initialised (other CounterProfilers and the
// activity timer share the process).
void initialize_profiler_once() {
  static std::mutex mu;
  static bool done = false;
  static std::string error;
  std::lock_guard<std::mutex> lock(mu);
  if (done) return;
  if (!error.empty()) throw CountersUnavailable(error);
  auto p = VQT_PARAMS(CUpti_Profiler_Initialize_Params);
  try {
    VQT_CUPTI_SETUP(cuptiProfilerInitialize(&p));
  } catch (const std::exception& e) {
    error = e.what();
    throw;
  }
  done = true;
}

}  // namespace

struct CounterProfiler::Impl {
  CounterOptions opt;
  CUcontext ctx = nullptr;
  std::string chip;
  std::vector<std::uint8_t> availability;
  std::vector<std::uint8_t> config;
  CUpti_Profiler_Host_Object* host = nullptr;
  std::vector<bool> available;           // per opt.counters
  std::vector<std::string> names;        // metric names of the available counters
  std::vector<const char*> name_ptrs;    // into `names`
  std::vector<std::string> unavailable;  // metric names
  int passes = 0;
  void* clean_buf = nullptr;
  std::size_t clean_bytes = 0;
  float* sink = nullptr;
  int clean_blocks = 0;

  ~Impl() {
    free_host(host);
    if (clean_buf) cudaFree(clean_buf);
    if (sink) cudaFree(sink);
  }

  CUpti_Profiler_Host_Object* new_host() const {
    auto hi = VQT_PARAMS(CUpti_Profiler_Host_Initialize_Params);
    hi.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
    hi.pChipName = chip.c_str();
    hi.pCounterAvailabilityImage = availability.data();
    VQT_CUPTI_SETUP(cuptiProfilerHostInitialize(&hi));
    return hi.pHostObject;
  }
  static void free_host(CUpti_Profiler_Host_Object* h) { detail::free_host(h); }
  static CUptiResult add_metrics(CUpti_Profiler_Host_Object* h,
                                 const std::vector<std::string>& metric_names) {
    std::vector<const char*> ptrs;
    for (const auto& n : metric_names) ptrs.push_back(n.c_str());
    auto add = VQT_PARAMS(CUpti_Profiler_Host_ConfigAddMetrics_Params);
    add.pHostObject = h;
    add.ppMetricNames = ptrs.data();
    add.numMetrics = ptrs.size();
    return cuptiProfilerHostConfigAddMetrics(&add);
  }

  bool metric_known(const std::string& name) const { return detail::metric_known(host, name); }

  // Column of a metric in `names` (the evaluated order).
  std::size_t column(const std::string& name) const {
    return std::size_t(std::find(names.begin(), names.end(), name) - names.begin());
  }
  bool raw_available(std::size_t i) const {
    return std::find(names.begin(), names.end(), opt.raw_metrics[i]) != names.end();
  }

  void clean_l2(cudaStream_t stream) {
    VQT_CUDA_CHECK(
        detail::launch_l2_clean(clean_buf, clean_bytes / 16, sink, clean_blocks, stream));
    VQT_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
};

CounterProfiler::CounterProfiler(const CounterOptions& opt) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.opt = opt;
  if (opt.counters.empty()) throw InputError("no counters requested");
  VQT_CUDA_CHECK(cudaSetDevice(opt.device));
  VQT_CUDA_CHECK(cudaFree(nullptr));  // create the primary context
  m.ctx = current_context();

  initialize_profiler_once();
  auto chip = VQT_PARAMS(CUpti_Device_GetChipName_Params);
  chip.deviceIndex = std::size_t(opt.device);
  VQT_CUPTI_SETUP(cuptiDeviceGetChipName(&chip));
  m.chip = chip.pChipName ? chip.pChipName : "";

  auto av = VQT_PARAMS(CUpti_Profiler_GetCounterAvailability_Params);
  av.ctx = m.ctx;
  VQT_CUPTI_SETUP(cuptiProfilerGetCounterAvailability(&av));
  m.availability.assign(av.counterAvailabilityImageSize, 0);
  av.pCounterAvailabilityImage = m.availability.data();
  VQT_CUPTI_SETUP(cuptiProfilerGetCounterAvailability(&av));

  m.host = m.new_host();

  for (CounterId id : opt.counters) {
    const std::string name = counter_info(id).metric;
    const bool ok = m.metric_known(name);
    m.available.push_back(ok);
    if (ok)
      m.names.push_back(name);
    else
      m.unavailable.push_back(name);
  }
  for (const auto& name : opt.raw_metrics) {
    if (!m.metric_known(name))
      throw InputError("--metrics: chip " + m.chip + " has no metric '" + name +
                       "' (Nsight Compute names: ncu --query-metrics)");
    if (std::find(m.names.begin(), m.names.end(), name) == m.names.end()) m.names.push_back(name);
  }
  if (m.names.empty())
    throw CountersUnavailable("hardware counters are not available: chip " + m.chip +
                              " exposes none of the requested metrics");
  if (m.add_metrics(m.host, m.names) != CUPTI_SUCCESS) {
    // One name the chip lists but cannot schedule spoils the set: find it with a fresh host
    // object per metric, then build the configuration from the ones that go in.
    Impl::free_host(m.host);
    m.host = nullptr;
    std::vector<std::string> good;
    for (const auto& n : m.names) {
      CUpti_Profiler_Host_Object* probe = m.new_host();
      const bool ok = m.add_metrics(probe, {n}) == CUPTI_SUCCESS;
      Impl::free_host(probe);
      if (ok)
        good.push_back(n);
      else
        m.unavailable.push_back(n);
    }
    for (std::size_t i = 0; i < opt.counters.size(); ++i)
      if (m.available[i])
        m.available[i] =
            std::find(good.begin(), good.end(), counter_info(opt.counters[i]).metric) != good.end();
    if (good.empty())
      throw CountersUnavailable("hardware counters are not available: chip " + m.chip +
                                " cannot schedule any of the requested metrics");
    m.names = good;
    m.host = m.new_host();
    VQT_CUPTI_SETUP(m.add_metrics(m.host, m.names));
  }
  for (const auto& n : m.names) m.name_ptrs.push_back(n.c_str());
  auto cs = VQT_PARAMS(CUpti_Profiler_Host_GetConfigImageSize_Params);
  cs.pHostObject = m.host;
  VQT_CUPTI_SETUP(cuptiProfilerHostGetConfigImageSize(&cs));
  m.config.assign(cs.configImageSize, 0);
  auto ci = VQT_PARAMS(CUpti_Profiler_Host_GetConfigImage_Params);
  ci.pHostObject = m.host;
  ci.configImageSize = m.config.size();
  ci.pConfigImage = m.config.data();
  VQT_CUPTI_SETUP(cuptiProfilerHostGetConfigImage(&ci));
  auto np = VQT_PARAMS(CUpti_Profiler_Host_GetNumOfPasses_Params);
  np.configImageSize = m.config.size();
  np.pConfigImage = m.config.data();
  VQT_CUPTI_SETUP(cuptiProfilerHostGetNumOfPasses(&np));
  m.passes = int(np.numOfPasses);

  // The L2 cleaner: 3x the L2, initialised once, read with normal (evict-normal) loads.
  int l2 = 0, sms = 0;
  VQT_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, opt.device));
  VQT_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, opt.device));
  m.clean_bytes = std::max<std::size_t>(3 * std::size_t(l2), 16u << 20) / 16 * 16;
  m.clean_blocks = sms * 8;
  VQT_CUDA_CHECK(cudaMalloc(&m.clean_buf, m.clean_bytes));
  VQT_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&m.sink), 64));
  VQT_CUDA_CHECK(cudaMemset(m.clean_buf, 0x3c, m.clean_bytes));
  VQT_CUDA_CHECK(cudaDeviceSynchronize());
}

CounterProfiler::~CounterProfiler() = default;

const std::string& CounterProfiler::chip() const {
  return impl_->chip;
}
int CounterProfiler::passes_needed() const {
  return impl_->passes;
}
const std::vector<std::string>& CounterProfiler::unavailable() const {
  return impl_->unavailable;
}

namespace {

// Enables the range profiler on the context for one count() and disables it on the way out.
struct RangeSession {
  CUpti_RangeProfiler_Object* obj = nullptr;
  bool started = false;
  bool pushed = false;
  explicit RangeSession(CUcontext ctx) {
    auto p = VQT_PARAMS(CUpti_RangeProfiler_Enable_Params);
    p.ctx = ctx;
    VQT_CUPTI_RUN(cuptiRangeProfilerEnable(&p));
    obj = p.pRangeProfilerObject;
  }
  ~RangeSession() {
    cudaDeviceSynchronize();
    if (pushed) {
      auto p = VQT_PARAMS(CUpti_RangeProfiler_PopRange_Params);
      p.pRangeProfilerObject = obj;
      cuptiRangeProfilerPopRange(&p);
    }
    if (started) {
      auto p = VQT_PARAMS(CUpti_RangeProfiler_Stop_Params);
      p.pRangeProfilerObject = obj;
      cuptiRangeProfilerStop(&p);
    }
    auto p = VQT_PARAMS(CUpti_RangeProfiler_Disable_Params);
    p.pRangeProfilerObject = obj;
    cuptiRangeProfilerDisable(&p);
  }
  RangeSession(const RangeSession&) = delete;
  RangeSession& operator=(const RangeSession&) = delete;

  void start() {
    auto p = VQT_PARAMS(CUpti_RangeProfiler_Start_Params);
    p.pRangeProfilerObject = obj;
    VQT_CUPTI_RUN(cuptiRangeProfilerStart(&p));
    started = true;
  }
  // Returns whether every pass has been submitted.
  bool stop() {
    auto p = VQT_PARAMS(CUpti_RangeProfiler_Stop_Params);
    p.pRangeProfilerObject = obj;
    started = false;
    VQT_CUPTI_RUN(cuptiRangeProfilerStop(&p));
    return p.isAllPassSubmitted != 0;
  }
  void push(const char* name) {
    auto p = VQT_PARAMS(CUpti_RangeProfiler_PushRange_Params);
    p.pRangeProfilerObject = obj;
    p.pRangeName = name;
    VQT_CUPTI_RUN(cuptiRangeProfilerPushRange(&p));
    pushed = true;
  }
  void pop() {
    auto p = VQT_PARAMS(CUpti_RangeProfiler_PopRange_Params);
    p.pRangeProfilerObject = obj;
    pushed = false;
    VQT_CUPTI_RUN(cuptiRangeProfilerPopRange(&p));
  }
};

void run_launch(const LaunchFn& launch, cudaStream_t stream) {
  const cudaError_t err = launch(stream);
  if (err != cudaSuccess) {
    cudaDeviceSynchronize();
    VQT_CUDA_CHECK(err);
  }
  VQT_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace

Counts CounterProfiler::count(const LaunchFn& launch, cudaStream_t stream) {
  Impl& m = *impl_;
  const bool user = m.opt.replay == ReplayMode::user;
  const std::size_t max_ranges = user ? 1 : std::size_t(std::max(1, m.opt.max_kernels));
  VQT_CUDA_CHECK(cudaDeviceSynchronize());

  RangeSession s(m.ctx);
  auto ds = VQT_PARAMS(CUpti_RangeProfiler_GetCounterDataSize_Params);
  ds.pRangeProfilerObject = s.obj;
  ds.pMetricNames = m.name_ptrs.data();
  ds.numMetrics = m.name_ptrs.size();
  ds.maxNumOfRanges = max_ranges;
  ds.maxNumRangeTreeNodes = std::uint32_t(max_ranges);
  VQT_CUPTI_RUN(cuptiRangeProfilerGetCounterDataSize(&ds));
  std::vector<std::uint8_t> data(ds.counterDataSize, 0);
  auto di = VQT_PARAMS(CUpti_RangeProfiler_CounterDataImage_Initialize_Params);
  di.pRangeProfilerObject = s.obj;
  di.counterDataSize = data.size();
  di.pCounterData = data.data();
  VQT_CUPTI_RUN(cuptiRangeProfilerCounterDataImageInitialize(&di));

  auto sc = VQT_PARAMS(CUpti_RangeProfiler_SetConfig_Params);
  sc.pRangeProfilerObject = s.obj;
  sc.configSize = m.config.size();
  sc.pConfig = m.config.data();
  sc.counterDataImageSize = data.size();
  sc.pCounterDataImage = data.data();
  sc.range = user ? CUPTI_UserRange : CUPTI_AutoRange;
  sc.replayMode = user ? CUPTI_UserReplay : CUPTI_KernelReplay;
  sc.maxRangesPerPass = max_ranges;
  sc.numNestingLevels = 1;
  sc.minNestingLevel = 1;
  sc.passIndex = 0;
  sc.targetNestingLevel = 1;
  VQT_CUPTI_RUN(cuptiRangeProfilerSetConfig(&sc));

  Counts out;
  out.replay = m.opt.replay;
  out.chip = m.chip;
  if (user) {
    bool all = false;
    while (!all) {
      if (out.passes >= m.opt.max_passes)
        throw Error("CUPTI user replay did not finish in " + std::to_string(m.opt.max_passes) +
                    " passes");
      if (m.opt.clean_l2) m.clean_l2(stream);
      s.start();
      s.push("vqtune");
      run_launch(launch, stream);
      s.pop();
      all = s.stop();
      ++out.passes;
    }
  } else {
    if (m.opt.clean_l2) m.clean_l2(stream);
    s.start();
    run_launch(launch, stream);
    s.stop();
    out.passes = m.passes;
  }

  auto dd = VQT_PARAMS(CUpti_RangeProfiler_DecodeData_Params);
  dd.pRangeProfilerObject = s.obj;
  VQT_CUPTI_RUN(cuptiRangeProfilerDecodeData(&dd));
  if (dd.numOfRangeDropped > 0)
    throw Error("CUPTI dropped " + std::to_string(dd.numOfRangeDropped) + " ranges (more than " +
                std::to_string(max_ranges) + " kernels in one launch?)");
  auto info = VQT_PARAMS(CUpti_RangeProfiler_GetCounterDataInfo_Params);
  info.pCounterDataImage = data.data();
  info.counterDataImageSize = data.size();
  VQT_CUPTI_RUN(cuptiRangeProfilerGetCounterDataInfo(&info));
  if (info.numTotalRanges == 0) throw Error("CUPTI decoded no range (the launch ran no kernel?)");

  std::vector<std::vector<double>> rows, raw_rows;
  for (std::size_t r = 0; r < info.numTotalRanges; ++r) {
    std::vector<double> got(m.name_ptrs.size(), 0.0);
    auto ev = VQT_PARAMS(CUpti_Profiler_Host_EvaluateToGpuValues_Params);
    ev.pHostObject = m.host;
    ev.pCounterDataImage = data.data();
    ev.counterDataImageSize = data.size();
    ev.rangeIndex = r;
    ev.ppMetricNames = m.name_ptrs.data();
    ev.numMetrics = m.name_ptrs.size();
    ev.pMetricValues = got.data();
    VQT_CUPTI_RUN(cuptiProfilerHostEvaluateToGpuValues(&ev));
    // Back to one column per requested counter and raw metric (unavailable ones stay 0).
    std::vector<double> row(m.opt.counters.size(), 0.0);
    for (std::size_t i = 0; i < row.size(); ++i)
      if (m.available[i]) row[i] = got[m.column(counter_info(m.opt.counters[i]).metric)];
    std::vector<double> raw_row(m.opt.raw_metrics.size(), 0.0);
    for (std::size_t i = 0; i < raw_row.size(); ++i)
      if (m.raw_available(i)) raw_row[i] = got[m.column(m.opt.raw_metrics[i])];
    rows.push_back(std::move(row));
    raw_rows.push_back(std::move(raw_row));
  }
  Counts agg = aggregate_ranges(m.opt.counters, m.available, rows);
  // Raw metrics over the ranges, weighted by each range's GPU time where it was counted.
  std::vector<bool> raw_ok;
  for (std::size_t i = 0; i < m.opt.raw_metrics.size(); ++i) raw_ok.push_back(m.raw_available(i));
  agg.raw = aggregate_raw(m.opt.raw_metrics, raw_ok, raw_rows,
                          range_gpu_ns(m.opt.counters, m.available, rows));
  agg.replay = out.replay;
  agg.chip = out.chip;
  agg.passes = out.passes;
  return agg;
}

#else  // !VQT_HAVE_CUPTI

struct CounterProfiler::Impl {
  std::string chip;
  std::vector<std::string> unavailable;
};

CounterProfiler::CounterProfiler(const CounterOptions&) {
  throw CountersUnavailable(
      "hardware counters are not available: built without CUPTI (VQT_ENABLE_CUPTI=OFF)");
}
CounterProfiler::~CounterProfiler() = default;
const std::string& CounterProfiler::chip() const {
  return impl_->chip;
}
int CounterProfiler::passes_needed() const {
  return 0;
}
const std::vector<std::string>& CounterProfiler::unavailable() const {
  return impl_->unavailable;
}
Counts CounterProfiler::count(const LaunchFn&, cudaStream_t) {
  throw CountersUnavailable("built without CUPTI");
}

#endif

}  // namespace vqt::profiler
