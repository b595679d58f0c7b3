// Microbenchmark kernels behind `vqtune measure` (ceilings.hpp). Each launcher enqueues one run
// on `stream` and returns the launch's error; `sink` receives a value only when an impossible
// condition holds, which keeps the compiler from removing the loads and arithmetic.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace vqt::profiler::detail {

// Fills `n` floats with a hash of the index (never zeros, see METHOD.md), values in [0.5, 1.5).
cudaError_t launch_fill(float* data, std::size_t n, unsigned seed, cudaStream_t stream);
// Fills `n` halves (as raw 16-bit) with values in [-1, 1).
cudaError_t launch_fill_half(void* data, std::size_t n, unsigned seed, cudaStream_t stream);

// Streams over `n4` float4 once: reads (sum), writes, or copies in -> out.
cudaError_t launch_read(const void* in, std::size_t n4, float* sink, int blocks,
                        cudaStream_t stream);
cudaError_t launch_write(void* out, std::size_t n4, int blocks, cudaStream_t stream);
cudaError_t launch_copy(const void* in, void* out, std::size_t n4, int blocks, cudaStream_t stream);
// Reads a `n4`-float4 buffer (sized to stay in L2) `passes` times with ld.global.cg (no L1).
cudaError_t launch_l2_read(const void* in, std::size_t n4, int passes, float* sink, int blocks,
                           cudaStream_t stream);
// Each thread reads `iters` float4 from a 32 KiB shared array, conflict-free.
cudaError_t launch_smem_read(int iters, float* sink, int blocks, int threads, cudaStream_t stream);
// Each thread runs `iters` x 8 independent FMA chains (2 FLOP per FMA).
cudaError_t launch_fma(int iters, float* sink, int blocks, int threads, cudaStream_t stream);
// An empty kernel (launch overhead).
cudaError_t launch_empty(cudaStream_t stream);
// One thread spins until *flag (mapped pinned host memory) is non-zero or `timeout_ns` passed:
// holds the stream so that launches queued behind it are only enqueued, never run.
cudaError_t launch_wait_flag(const volatile int* flag, unsigned long long timeout_ns,
                             cudaStream_t stream);

constexpr int kSmemFloat4s = 2048;  // 32 KiB
constexpr int kFmaChains = 8;

}  // namespace vqt::profiler::detail
