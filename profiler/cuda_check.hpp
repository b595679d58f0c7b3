// Error checks for CUDA runtime and CUPTI calls: throw vqt::CudaError with file:line, the error
// name and the failing call's text (nvbench's NVBENCH_CUDA_CALL habit). The tuner maps the code
// to a candidate status (launch_failed, resource_limit, ...).
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "vq/error.hpp"

namespace vqt {

class CudaError : public Error {
 public:
  CudaError(cudaError_t code, const std::string& what) : Error(what), code_(code) {}
  cudaError_t code() const { return code_; }

 private:
  cudaError_t code_;
};

[[noreturn]] inline void throw_cuda(cudaError_t code, const char* call, const char* file,
                                    int line) {
  throw CudaError(code, std::string(file) + ":" + std::to_string(line) + ": " +
                            cudaGetErrorName(code) + " (" + cudaGetErrorString(code) + ") in " +
                            call);
}

}  // namespace vqt

#define VQT_CUDA_CALL(call)                                                              \
  do {                                                                                   \
    const cudaError_t vqt_err_ = (call);                                                 \
    if (vqt_err_ != cudaSuccess) ::vqt::throw_cuda(vqt_err_, #call, __FILE__, __LINE__); \
  } while (0)
