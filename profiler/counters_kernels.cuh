// The L2 cleaner behind CounterProfiler (counters.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace vqt::profiler::detail {

// Reads `n4` float4 with ld.global.cg (L2, evict-normal), so that lines already in the L2 are
// evicted (dirty ones written back now) and the L2 ends up holding clean lines of `buf` only.
cudaError_t launch_l2_clean(const void* buf, std::size_t n4, float* sink, int blocks,
                            cudaStream_t stream);

}  // namespace vqt::profiler::detail
