#include "profiler/ceilings.hpp"

#include <cublas_v2.h>
#ifdef __linux__
#include <sched.h>
#endif
#ifdef VQT_HAVE_CUPTI
#include <cupti.h>
#endif

#include <algorithm>
#include <chrono>
#include <functional>
#include <iomanip>
#include <ostream>

#include "kernels/cuda_check.hpp"
#include "profiler/ceilings_kernels.cuh"

namespace vqt::profiler {

namespace {

using detail::kFmaChains;

// Device buffer owned for the duration of the measurement.
struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(std::size_t bytes) { VQT_CUDA_CHECK(cudaMalloc(&p, bytes)); }
  ~DeviceBuffer() { cudaFree(p); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};
struct HostPinned {
  void* p = nullptr;
  HostPinned(std::size_t bytes, unsigned flags) { VQT_CUDA_CHECK(cudaHostAlloc(&p, bytes, flags)); }
  ~HostPinned() { cudaFreeHost(p); }
  HostPinned(const HostPinned&) = delete;
  HostPinned& operator=(const HostPinned&) = delete;
};

struct Context {
  Profiler& prof;
  DeviceInfo info;
  ConvergenceRule rule;
  cudaStream_t stream = nullptr;
  float* sink = nullptr;
  int stream_blocks = 0;  // SMs x 8 blocks of 256 threads: full occupancy for streaming kernels
};

Ceiling bandwidth(Context& c, const char* name, double bytes, const std::string& method,
                  const LaunchFn& fn, bool flush = true) {
  Ceiling out{name, 0, "bytes/s", method, {}};
  out.m = c.prof.measure(fn, c.rule, c.stream, flush);
  out.value = bytes / out.m.time.median;
  return out;
}

constexpr std::size_t kMiB = std::size_t(1) << 20;

// Pins the calling thread to the CPU it runs on, for its lifetime (Linux; elsewhere nothing).
struct PinToCurrentCpu {
#ifdef __linux__
  cpu_set_t old{};
  bool pinned = false;
  PinToCurrentCpu() {
    const int cpu = sched_getcpu();
    if (cpu < 0 || sched_getaffinity(0, sizeof old, &old) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pinned = sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~PinToCurrentCpu() {
    if (pinned) sched_setaffinity(0, sizeof old, &old);
  }
#endif
};

// Pauses CUPTI's kernel activity records (the CUPTI timer's) for its lifetime: a profiler's
// per-launch work is not part of what a launch costs an application.
class CuptiKernelRecordsPaused {
 public:
  explicit CuptiKernelRecordsPaused(bool cupti_on) {
#ifdef VQT_HAVE_CUPTI
    paused_ =
        cupti_on && cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) == CUPTI_SUCCESS;
#else
    (void)cupti_on;
#endif
  }
  // Resumes them; throws when CUPTI refuses (the timer would then see no kernels).
  void resume() {
#ifdef VQT_HAVE_CUPTI
    if (!paused_) return;
    paused_ = false;
    if (cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) != CUPTI_SUCCESS)
      throw Error("CUPTI: could not resume kernel activity records after the launch ceiling");
#endif
  }
  ~CuptiKernelRecordsPaused() {
#ifdef VQT_HAVE_CUPTI
    if (paused_) cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
#endif
  }
  CuptiKernelRecordsPaused(const CuptiKernelRecordsPaused&) = delete;
  CuptiKernelRecordsPaused& operator=(const CuptiKernelRecordsPaused&) = delete;

 private:
  bool paused_ = false;
};

// Host time of one launch of an empty kernel, as an application pays it, made repeatable (the
// first version, a host clock around 200 launches + a synchronize, spread 43 % between runs):
//  - the stream is held by a kernel spinning on a host flag, so the launches are only enqueued:
//    neither the GPU's speed nor the synchronize enters the time, and 256 launches stay well
//    inside the launch queue (no blocking on a full queue);
//  - CUPTI's kernel records are paused, and the thread is pinned to its CPU while measuring;
//  - a sample is the fastest of 5 such batches (preemption and interrupts only add time), after
//    a warm-up of 3 batches; the median of the samples is stored, when the rule is met.
// Runs FMA work on every SM for `ms` milliseconds: an idle GPU clocks down, and the launch
// ceilings, measured in a few milliseconds, would otherwise catch the clock ramping up (the
// 10-25 % spread between processes in bench/results/ceilings-h100.md). Clocks are only read.
void warm_gpu(Context& c, double ms) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() <
         ms) {
    VQT_CUDA_CHECK(detail::launch_fma(512, c.sink, c.info.sm_count * 8, 256, c.stream));
    VQT_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  }
}

// A stream held by a kernel spinning on a mapped host flag: work queued behind hold() waits until
// release() (the spin gives up after 2 s).
class StreamHold {
 public:
  StreamHold() : mem_(sizeof(int), cudaHostAllocMapped), flag_(static_cast<volatile int*>(mem_.p)) {
    *flag_ = 0;
    VQT_CUDA_CHECK(cudaHostGetDevicePointer(&dflag_, mem_.p, 0));
  }
  void hold(cudaStream_t s) {
    *flag_ = 0;
    VQT_CUDA_CHECK(
        detail::launch_wait_flag(static_cast<const volatile int*>(dflag_), 2000000000ull, s));
  }
  void release() { *flag_ = 1; }

 private:
  HostPinned mem_;
  volatile int* flag_;
  void* dflag_ = nullptr;
};

// Takes `sample_s()` under the ceiling rule until it converges or reaches the time cap, and fills
// `out` from the samples (timer: events or the host clock, never CUPTI records).
void converge(Context& c, Ceiling& out, const std::function<double()>& sample_s, int activities) {
  Convergence conv(c.rule);
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    conv.add(sample_s());
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const StopReason r = conv.check(elapsed);
    if (r == StopReason::not_yet) continue;
    out.m.timer = TimerKind::cuda_event;
    out.m.time = conv.summary();
    out.m.samples_total = conv.total();
    out.m.stop = r;
    out.m.elapsed_s = elapsed;
    out.m.activities = activities;
    out.value = out.m.time.median;
    return;
  }
}

Ceiling launch_ceiling(Context& c) {
  warm_gpu(c, 200);
  constexpr int kLaunches = 256, kBatches = 5, kWarmup = 3;
  const bool cupti = c.prof.timer_kind() == TimerKind::cupti;
  Ceiling out{"launch",
              0,
              "s",
              std::string("host time per launch of an empty kernel queued behind a held stream, "
                          "fastest of 5 batches of 256 per sample") +
                  (cupti ? ", CUPTI kernel records paused" : ""),
              {}};
  StreamHold hold;
  VQT_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  const PinToCurrentCpu pin;
  CuptiKernelRecordsPaused paused(cupti);
  auto batch_s = [&] {
    hold.hold(c.stream);
    const auto s0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kLaunches; ++i) VQT_CUDA_CHECK(detail::launch_empty(c.stream));
    const auto s1 = std::chrono::steady_clock::now();
    hold.release();
    VQT_CUDA_CHECK(cudaStreamSynchronize(c.stream));
    return std::chrono::duration<double>(s1 - s0).count() / kLaunches;
  };
  for (int i = 0; i < kWarmup; ++i) batch_s();
  // A sample is the fastest of kBatches batches; the host clock is the timer.
  converge(
      c, out,
      [&] {
        double best = batch_s();
        for (int i = 1; i < kBatches; ++i) best = std::min(best, batch_s());
        return best;
      },
      kLaunches * kBatches);
  paused.resume();
  return out;
}

// GPU time per launch of `kLaunches` back-to-back empty kernels when the host is ahead of the
// GPU: `enqueue` queues them behind a held stream, then the hold ends; a cudaEvent pair around
// them (the first completes when the hold ends) gives the batch's time. CUPTI's kernel records are
// paused (they add GPU work per kernel).
constexpr int kHeldLaunches = 256;
Ceiling held_batch_ceiling(Context& c, const char* name, const char* method,
                           const std::function<cudaError_t(cudaStream_t)>& enqueue) {
  constexpr int kWarmup = 3;
  warm_gpu(c, 200);
  Ceiling out{name, 0, "s", method, {}};
  StreamHold hold;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  VQT_CUDA_CHECK(cudaEventCreate(&e0));
  VQT_CUDA_CHECK(cudaEventCreate(&e1));
  struct Events {
    cudaEvent_t a, b;
    ~Events() {
      cudaEventDestroy(a);
      cudaEventDestroy(b);
    }
  } events{e0, e1};
  VQT_CUDA_CHECK(cudaStreamSynchronize(c.stream));
  CuptiKernelRecordsPaused paused(c.prof.timer_kind() == TimerKind::cupti);
  auto batch_s = [&] {
    hold.hold(c.stream);
    VQT_CUDA_CHECK(cudaEventRecord(e0, c.stream));
    VQT_CUDA_CHECK(enqueue(c.stream));
    VQT_CUDA_CHECK(cudaEventRecord(e1, c.stream));
    hold.release();
    VQT_CUDA_CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    VQT_CUDA_CHECK(cudaEventElapsedTime(&ms, e0, e1));
    return double(ms) * 1e-3 / kHeldLaunches;
  };
  for (int i = 0; i < kWarmup; ++i) batch_s();
  converge(c, out, batch_s, kHeldLaunches);
  paused.resume();
  return out;
}

// Stream launches: 256 cudaLaunchKernel calls. What the GPU takes per launch here is a property
// of the process's channel as much as of the GPU: on the H100 VMs it repeats to 0.1 % within a
// process but moves by up to 14 % between processes (1.63-1.87 us in six, bench/results/
// ceilings-h100.md), whatever the method (one batch, a slope of 128 vs 512, a flush first).
Ceiling launch_gpu_ceiling(Context& c) {
  return held_batch_ceiling(
      c, "launch_gpu",
      "GPU time per back-to-back launch: 256 empty kernels queued behind a held stream, "
      "released, timed as one batch with cudaEvents, CUPTI kernel records paused",
      [](cudaStream_t s) {
        for (int i = 0; i < kHeldLaunches; ++i) {
          const cudaError_t e = detail::launch_empty(s);
          if (e != cudaSuccess) return e;
        }
        return cudaSuccess;
      });
}

// Graph launches: the same 256 empty kernels captured once as a CUDA graph and launched as one;
// the GPU's own cost per kernel node, the same in every process (0.790 us +- 0.02 % in six on
// the H100).
Ceiling launch_graph_ceiling(Context& c) {
  cudaStream_t cap = nullptr;
  VQT_CUDA_CHECK(cudaStreamCreateWithFlags(&cap, cudaStreamNonBlocking));
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  struct Owned {
    cudaStream_t& s;
    cudaGraph_t& g;
    cudaGraphExec_t& e;
    ~Owned() {
      if (e) cudaGraphExecDestroy(e);
      if (g) cudaGraphDestroy(g);
      if (s) cudaStreamDestroy(s);
    }
  } owned{cap, graph, exec};
  VQT_CUDA_CHECK(cudaStreamBeginCapture(cap, cudaStreamCaptureModeThreadLocal));
  cudaError_t launched = cudaSuccess;
  for (int i = 0; i < kHeldLaunches && launched == cudaSuccess; ++i)
    launched = detail::launch_empty(cap);
  const cudaError_t ended = cudaStreamEndCapture(cap, &graph);
  VQT_CUDA_CHECK(launched);
  VQT_CUDA_CHECK(ended);
  VQT_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  return held_batch_ceiling(c, "launch_graph",
                            "GPU time per kernel node: a CUDA graph of 256 empty kernels launched "
                            "behind a held stream, timed with cudaEvents, CUPTI kernel records "
                            "paused",
                            [&](cudaStream_t s) { return cudaGraphLaunch(exec, s); });
}

Ceiling measure_one(Context& c, const std::string& name) {
  const std::size_t big = 2048 * kMiB;
  const int b = c.stream_blocks;
  if (name == "hbm_read" || name == "hbm_write" || name == "hbm_copy") {
    DeviceBuffer a(big);
    VQT_CUDA_CHECK(detail::launch_fill(static_cast<float*>(a.p), big / 4, 1, c.stream));
    if (name == "hbm_read")
      return bandwidth(
          c, "hbm_read", double(big), "float4 read kernel over 2 GiB",
          [&](cudaStream_t s) { return detail::launch_read(a.p, big / 16, c.sink, b, s); });
    if (name == "hbm_write")
      return bandwidth(c, "hbm_write", double(big), "float4 write kernel over 2 GiB",
                       [&](cudaStream_t s) { return detail::launch_write(a.p, big / 16, b, s); });
    DeviceBuffer out(big / 2);
    return bandwidth(
        c, "hbm_copy", double(big), "float4 copy kernel 1 GiB -> 1 GiB (r+w)",
        [&](cudaStream_t s) { return detail::launch_copy(a.p, out.p, big / 32, b, s); });
  }
  if (name == "l2_read") {
    const std::size_t bytes = std::max<std::size_t>(c.info.l2_bytes / 4, kMiB) / 16 * 16;
    const int passes = int(std::max<std::size_t>(2048 * kMiB / bytes, 1));
    DeviceBuffer a(bytes);
    VQT_CUDA_CHECK(detail::launch_fill(static_cast<float*>(a.p), bytes / 4, 2, c.stream));
    return bandwidth(
        c, "l2_read", double(bytes) * passes,
        "ld.global.cg re-reads of " + std::to_string(bytes / 1024) + " KiB x " +
            std::to_string(passes),
        [&](cudaStream_t s) {
          return detail::launch_l2_read(a.p, bytes / 16, passes, c.sink, b, s);
        },
        /*flush=*/false);
  }
  if (name == "smem_read") {
    const int blocks = c.info.sm_count * 4, threads = 512, iters = 4096;
    return bandwidth(c, "smem_read", double(blocks) * threads * iters * 16,
                     "LDS.128 conflict-free, 4 blocks x 512 threads per SM", [&](cudaStream_t s) {
                       return detail::launch_smem_read(iters, c.sink, blocks, threads, s);
                     });
  }
  if (name == "fp32_fma") {
    const int blocks = c.info.sm_count * 8, threads = 256, iters = 2048;
    Ceiling out{"fp32_fma", 0, "flop/s", "8 independent FMA chains x 8 unrolled per thread", {}};
    out.m = c.prof.measure(
        [&](cudaStream_t s) { return detail::launch_fma(iters, c.sink, blocks, threads, s); },
        c.rule, c.stream);
    out.value = double(blocks) * threads * iters * 8 * kFmaChains * 2 / out.m.time.median;
    return out;
  }
  if (name == "fp16_tensor") {
    const int n = 8192;
    DeviceBuffer a(std::size_t(n) * n * 2), bm(std::size_t(n) * n * 2), cm(std::size_t(n) * n * 2);
    VQT_CUDA_CHECK(detail::launch_fill_half(a.p, std::size_t(n) * n, 3, c.stream));
    VQT_CUDA_CHECK(detail::launch_fill_half(bm.p, std::size_t(n) * n, 4, c.stream));
    cublasHandle_t h = nullptr;
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw Error("cublasCreate failed");
    cublasSetStream(h, c.stream);
    const float alpha = 1.0f, beta = 0.0f;
    Ceiling out{"fp16_tensor", 0, "flop/s", "cuBLAS GemmEx fp16 8192^3, fp32 accumulate", {}};
    try {
      out.m = c.prof.measure(
          [&](cudaStream_t) {
            const cublasStatus_t st = cublasGemmEx(
                h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.p, CUDA_R_16F, n, bm.p, CUDA_R_16F,
                n, &beta, cm.p, CUDA_R_16F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            return st == CUBLAS_STATUS_SUCCESS ? cudaGetLastError() : cudaErrorLaunchFailure;
          },
          c.rule, c.stream);
    } catch (...) {
      cublasDestroy(h);
      throw;
    }
    cublasDestroy(h);
    out.value = 2.0 * n * double(n) * n / out.m.time.median;
    return out;
  }
  if (name == "pcie_h2d" || name == "pcie_d2h") {
    const std::size_t bytes = 256 * kMiB;
    DeviceBuffer d(bytes);
    HostPinned h(bytes, cudaHostAllocDefault);
    std::fill_n(static_cast<unsigned char*>(h.p), bytes, 0x5a);
    const bool h2d = name == "pcie_h2d";
    return bandwidth(c, name.c_str(), double(bytes),
                     std::string("cudaMemcpyAsync 256 MiB pinned ") + (h2d ? "H2D" : "D2H"),
                     [&](cudaStream_t s) {
                       return h2d ? cudaMemcpyAsync(d.p, h.p, bytes, cudaMemcpyHostToDevice, s)
                                  : cudaMemcpyAsync(h.p, d.p, bytes, cudaMemcpyDeviceToHost, s);
                     });
  }
  if (name == "zero_copy_read") {
    const std::size_t bytes = 256 * kMiB;
    HostPinned h(bytes, cudaHostAllocMapped);
    float* hf = static_cast<float*>(h.p);
    for (std::size_t i = 0; i < bytes / 4; ++i) hf[i] = 1.0f + float(i & 1023) / 1024.0f;
    void* dp = nullptr;
    VQT_CUDA_CHECK(cudaHostGetDevicePointer(&dp, h.p, 0));
    return bandwidth(
        c, "zero_copy_read", double(bytes),
        "float4 read kernel over 256 MiB of mapped pinned host memory",
        [&](cudaStream_t s) { return detail::launch_read(dp, bytes / 16, c.sink, b, s); });
  }
  if (name == "empty_kernel") {
    Ceiling out{"empty_kernel", 0, "s", "GPU duration of an empty <<<1,32>>> kernel", {}};
    out.m = c.prof.measure([&](cudaStream_t s) { return detail::launch_empty(s); }, c.rule,
                           c.stream, /*flush=*/false);
    out.value = out.m.time.median;
    return out;
  }
  if (name == "launch_gpu") return launch_gpu_ceiling(c);
  if (name == "launch_graph") return launch_graph_ceiling(c);
  if (name == "launch") return launch_ceiling(c);
  throw InputError("unknown ceiling '" + name + "'");
}

std::string version_text(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

std::string format_uuid(const cudaUUID_t& u) {
  static const char* hex = "0123456789abcdef";
  std::string s = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    const auto b = static_cast<unsigned char>(u.bytes[i]);
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

}  // namespace

DeviceInfo device_info(int device) {
  DeviceInfo d;
  d.device = device;
  cudaDeviceProp p{};
  VQT_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  d.name = p.name;
  d.cc_major = p.major;
  d.cc_minor = p.minor;
  d.sm_count = p.multiProcessorCount;
  d.l2_bytes = std::size_t(p.l2CacheSize);
  d.global_mem_bytes = p.totalGlobalMem;
  char bus[64] = {};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, device) == cudaSuccess) d.pci_bus_id = bus;
  VQT_CUDA_CHECK(cudaDriverGetVersion(&d.driver_version));
  VQT_CUDA_CHECK(cudaRuntimeGetVersion(&d.runtime_version));
  ClockMonitor mon(device);
  d.max_sm_mhz = mon.max_sm_mhz();
  d.uuid = format_uuid(p.uuid);
  d.driver = mon.driver_version();
  if (d.driver.empty()) d.driver = version_text(d.driver_version);
  d.cuda_version = version_text(d.runtime_version);
  return d;
}

const std::vector<std::string>& ceiling_names() {
  static const std::vector<std::string> names = {
      "hbm_read",     "hbm_write",   "hbm_copy",     "l2_read",  "smem_read",
      "fp32_fma",     "fp16_tensor", "pcie_h2d",     "pcie_d2h", "zero_copy_read",
      "empty_kernel", "launch_gpu",  "launch_graph", "launch"};
  return names;
}

void check_ceiling_names(const std::vector<std::string>& names) {
  const auto& known = ceiling_names();
  for (const auto& n : names) {
    if (std::find(known.begin(), known.end(), n) != known.end()) continue;
    std::string accepted;
    for (const auto& k : known) accepted += (accepted.empty() ? "" : ", ") + k;
    throw InputError("unknown ceiling '" + n + "' (accepted: " + accepted + ")");
  }
}

std::vector<Ceiling> measure_ceilings(Profiler& prof, const CeilingsOptions& opt,
                                      std::ostream* progress) {
  std::vector<std::string> todo = opt.only.empty() ? ceiling_names() : opt.only;
  check_ceiling_names(todo);
  Context c{prof, device_info(prof.options().device), {}, nullptr, nullptr, 0};
  c.rule.target_rel_stdev = opt.target_rel_stdev;
  c.rule.short_target_rel_stdev = std::max(opt.target_rel_stdev, 0.02);
  c.rule.max_time_s = opt.cap_s;
  c.stream_blocks = c.info.sm_count * 8;
  DeviceBuffer sink(64);
  c.sink = static_cast<float*>(sink.p);

  std::vector<Ceiling> out;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (progress) {
      const double spent =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // Before the first result: assume half the cap each; then the average so far.
      const double per = i == 0 ? 0.5 * opt.cap_s : spent / double(i);
      *progress << "measure: [" << (i + 1) << "/" << todo.size() << "] " << todo[i] << ", about "
                << std::fixed << std::setprecision(0) << per * double(todo.size() - i)
                << " s left\n";
      progress->flush();
    }
    out.push_back(measure_one(c, todo[i]));
  }
  return out;
}

}  // namespace vqt::profiler
