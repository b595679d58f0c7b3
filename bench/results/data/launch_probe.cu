// Scratch probe (session 3, bench/results/gpu-check-2026-11-22.md): which launch_gpu method repeats
// across processes. Built with: nvcc -O2 -arch=sm_90a -o launch_probe launch_probe.cu
#include <cuda_runtime.h>
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
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
int main() {
  cudaStream_t s;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  int* hflag;
  cudaHostAlloc(&hflag, 4, cudaHostAllocMapped);
  int* dflag;
  cudaHostGetDevicePointer(&dflag, hflag, 0);
  volatile int* flag = hflag;
  float* o;
  cudaMalloc(&o, 4);
  // warm 300 ms
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 0.3) {
    fma_k<<<1024, 256, 0, s>>>(o, 20000);
    cudaStreamSynchronize(s);
  }
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  auto batch = [&](int n, bool query, bool hold) {
    *flag = 0;
    if (hold) wait_flag<<<1, 1, 0, s>>>(dflag);
    cudaEventRecord(e0, s);
    for (int i = 0; i < n; ++i) empty_k<<<1, 1, 0, s>>>();
    cudaEventRecord(e1, s);
    if (query) cudaStreamQuery(s);
    *flag = 1;
    cudaEventSynchronize(e1);
    float ms;
    cudaEventElapsedTime(&ms, e0, e1);
    return ms * 1e-3;
  };
  for (int i = 0; i < 5; ++i) batch(256, false, true);
  // G: the 256 launches as one CUDA graph (captured), launched behind the held stream.
  cudaStream_t cap;
  cudaStreamCreateWithFlags(&cap, cudaStreamNonBlocking);
  cudaGraph_t g;
  cudaGraphExec_t ge;
  cudaStreamBeginCapture(cap, cudaStreamCaptureModeGlobal);
  for (int i = 0; i < 256; ++i) empty_k<<<1, 1, 0, cap>>>();
  cudaStreamEndCapture(cap, &g);
  cudaGraphInstantiate(&ge, g, 0);
  auto gbatch = [&]() {
    *flag = 0;
    wait_flag<<<1, 1, 0, s>>>(dflag);
    cudaEventRecord(e0, s);
    cudaGraphLaunch(ge, s);
    cudaEventRecord(e1, s);
    cudaStreamQuery(s);
    *flag = 1;
    cudaEventSynchronize(e1);
    float ms;
    cudaEventElapsedTime(&ms, e0, e1);
    return ms * 1e-3;
  };
  for (int i = 0; i < 5; ++i) gbatch();
  std::vector<double> gg;
  for (int r = 0; r < 40; ++r) gg.push_back(gbatch() / 256);
  std::printf("G_graph256 %.4f us  ", median(gg) * 1e6);
  std::vector<double> a, b1, b2, c, d;
  for (int r = 0; r < 40; ++r) {
    a.push_back(batch(256, false, true) / 256);
    c.push_back(batch(256, true, true) / 256);
    double t128 = batch(128, true, true), t512 = batch(512, true, true);
    b1.push_back((t512 - t128) / 384);
    d.push_back(t512 / 512);
  }
  std::printf("A_cur256 %.4f us  C_query256 %.4f us  B_slope %.4f us  D_query512 %.4f us\n",
              median(a) * 1e6, median(c) * 1e6, median(b1) * 1e6, median(d) * 1e6);
  return 0;
}
