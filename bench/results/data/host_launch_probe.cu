// Scratch probe (session 4, bench/results/gpu-check-2026-11-22-s4.md; passes and host references
// added in session 11): what the host launch cost depends on. For every CPU of the affinity set,
// `passes` times over: pin, then the median of 21 samples, each the fastest of 5 batches of 256
// launches queued behind a held stream (the `launch` ceiling's method), and next to it three host
// references taken on the same CPU right after:
//   int_ns   one dependent integer chain of 2^20 steps (the core's clock),
//   wc_ns    256 x 64-byte stores to pinned, write-combined host memory + sfence (the kind of
//            write a launch makes into the pushbuffer),
//   clk_ns   10^5 steady_clock reads (the VM's clock source, part of every launch's bookkeeping).
// One CSV row per (pass, cpu), seconds since start first. If a CPU's launch cost moves between
// passes of one process, the host changes speed over time; if it holds within a process and
// moves between processes, it is the process's placement (channel, pushbuffer memory).
// Built with: nvcc -O2 -arch=sm_90a -o host_launch_probe host_launch_probe.cu
// Usage: host_launch_probe [passes=1]
#include <cuda_runtime.h>
#include <emmintrin.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

__global__ void empty_k() {}
__global__ void wait_flag(const volatile int* f) {
  unsigned long long t0, t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  for (;;) {
    if (*f != 0) return;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    if (t - t0 > 50000000ull) return;
    __nanosleep(100);
  }
}
__global__ void fma_k(float* o, int n) {
  float a = threadIdx.x;
  for (int i = 0; i < n; ++i) a = a * 1.0001f + 0.5f;
  if (a == 12345.f) o[0] = a;
}

using Clock = std::chrono::steady_clock;
static double ns_since(Clock::time_point a) {
  return std::chrono::duration<double, std::nano>(Clock::now() - a).count();
}
// Fastest of 5 runs of f (in ns): preemption only adds time.
template <class F>
static double best_ns(F f) {
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const auto a = Clock::now();
    f();
    best = std::min(best, ns_since(a));
  }
  return best;
}

int main(int argc, char** argv) {
  const int passes = argc > 1 ? std::atoi(argv[1]) : 1;
  cpu_set_t all;
  sched_getaffinity(0, sizeof(all), &all);
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  int* hflag;
  cudaHostAlloc(&hflag, 4, cudaHostAllocMapped);
  int* dflag;
  cudaHostGetDevicePointer(&dflag, hflag, 0);
  volatile int* flag = hflag;
  char* wc;
  cudaHostAlloc(&wc, 256 * 64, cudaHostAllocWriteCombined);
  float* o;
  cudaMalloc(&o, 4);
  const auto start = Clock::now();
  while (ns_since(start) < 3e8) {
    fma_k<<<1024, 256, 0, s>>>(o, 20000);
    cudaStreamSynchronize(s);
  }
  auto batch = [&] {
    *flag = 0;
    wait_flag<<<1, 1, 0, s>>>(dflag);
    const auto a = Clock::now();
    for (int i = 0; i < 256; ++i) empty_k<<<1, 1, 0, s>>>();
    const double ns = ns_since(a);
    *flag = 1;
    cudaStreamSynchronize(s);
    return ns / 256 * 1e-3;
  };
  auto sample = [&] {  // fastest of 5, median of 21 samples
    std::vector<double> v;
    for (int k = 0; k < 21; ++k) {
      double best = 1e9;
      for (int i = 0; i < 5; ++i) best = std::min(best, batch());
      v.push_back(best);
    }
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  volatile std::uint64_t sink = 0;
  auto int_chain = [&] {
    std::uint64_t x = sink + 1;
    for (int i = 0; i < (1 << 20); ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
    sink = x;
  };
  auto wc_stores = [&] {
    const __m128i v = _mm_set1_epi32(int(sink));
    for (int i = 0; i < 256 * 4; ++i) _mm_stream_si128(reinterpret_cast<__m128i*>(wc) + i, v);
    _mm_sfence();
  };
  auto clock_reads = [&] {
    std::uint64_t acc = 0;
    for (int i = 0; i < 100000; ++i) acc += std::uint64_t(Clock::now().time_since_epoch().count());
    sink = acc;
  };
  for (int i = 0; i < 3; ++i) batch();
  std::printf("# unpinned (cpu %d): %.3f us\n", sched_getcpu(), sample());
  std::printf("t_s,pass,cpu,launch_us,int_ns,wc_ns,clk_ns\n");
  for (int pass = 0; pass < passes; ++pass) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (!CPU_ISSET(cpu, &all)) continue;
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (sched_setaffinity(0, sizeof(one), &one) != 0) continue;
      for (int i = 0; i < 3; ++i) batch();
      const double t = ns_since(start) * 1e-9;
      const double us = sample();
      std::printf("%.2f,%d,%d,%.3f,%.0f,%.0f,%.0f\n", t, pass, cpu, us, best_ns(int_chain),
                  best_ns(wc_stores), best_ns(clock_reads));
      std::fflush(stdout);
    }
  }
  return 0;
}
