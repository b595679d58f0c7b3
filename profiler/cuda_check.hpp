// Forwarding header: the CUDA error checks (vqt::CudaError, VQT_CUDA_CHECK / VQT_CUDA_CALL,
// VQT_CUDA_WARN) live in kernels/cuda_check.hpp, one header for every CUDA folder. Kept so
// tuner/ and tests/ that include this path compile unchanged; new code includes the other one.
#pragma once

#include "kernels/cuda_check.hpp"
