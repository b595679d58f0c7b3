// Test kernels of known duration: one thread spins on %globaltimer for `ns` nanoseconds.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace vqt::test {
cudaError_t launch_spin(std::uint64_t ns, cudaStream_t stream);
}  // namespace vqt::test
