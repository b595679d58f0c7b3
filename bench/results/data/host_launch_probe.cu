// Scratch probe (session 4, bench/results/gpu-check-2026-11-22-s4.md): does the host launch cost
// depend on the CPU the thread runs on? For every CPU of the affinity set: pin, then the median of
// 21 samples, each the fastest of 5 batches of 256 launches queued behind a held stream (the
// `launch` ceiling's method). Built with: nvcc -O2 -arch=sm_90a -o host_launch_probe
// host_launch_probe.cu
#include <cuda_runtime.h>
#include <sched.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
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
int main(int argc, char** argv) {
  cpu_set_t all;
  sched_getaffinity(0, sizeof(all), &all);
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  int* hflag;
  cudaHostAlloc(&hflag, 4, cudaHostAllocMapped);
  int* dflag;
  cudaHostGetDevicePointer(&dflag, hflag, 0);
  volatile int* flag = hflag;
  float* o;
  cudaMalloc(&o, 4);
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 0.3) {
    fma_k<<<1024, 256, 0, s>>>(o, 20000);
    cudaStreamSynchronize(s);
  }
  auto batch = [&] {
    *flag = 0;
    wait_flag<<<1, 1, 0, s>>>(dflag);
    auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < 256; ++i) empty_k<<<1, 1, 0, s>>>();
    auto b = std::chrono::steady_clock::now();
    *flag = 1;
    cudaStreamSynchronize(s);
    return std::chrono::duration<double>(b - a).count() / 256 * 1e6;
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
  for (int i = 0; i < 3; ++i) batch();
  std::printf("unpinned(cpu %d): %.3f us\n", sched_getcpu(), sample());
  double mn = 1e9, mx = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &all)) continue;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) continue;
    for (int i = 0; i < 3; ++i) batch();
    const double us = sample();
    // host speed: 1e6 steady_clock reads
    auto a = std::chrono::steady_clock::now();
    volatile long sink = 0;
    for (int i = 0; i < 1000000; ++i)
      sink += std::chrono::steady_clock::now().time_since_epoch().count() & 1;
    auto b = std::chrono::steady_clock::now();
    std::printf("cpu %2d: launch %.3f us  clock-read %.1f ns\n", cpu, us,
                std::chrono::duration<double>(b - a).count() * 1e3);
    mn = std::min(mn, us);
    mx = std::max(mx, us);
  }
  std::printf("min %.3f max %.3f us\n", mn, mx);
  return 0;
}
