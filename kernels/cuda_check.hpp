// CUDA error checks for the kernels and their host helpers (tests, benchmarks).
//
//   VQT_CUDA_CHECK(call)       throws vqt::Error with file:line, the error name, its text and the
//                              failing call's text (host code, tests, benchmarks)
//   VQT_CUDA_RETURN(call)      returns the cudaError_t from the enclosing function (launchers,
//                              which never throw: they return cudaError_t, STYLE.md)
//   vqt::check_last_launch()   cudaGetLastError after a launch, as a cudaError_t
//
// Only vqt::Error (vq/error.hpp) is thrown, so this header can sit next to profiler/'s checks.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "vq/error.hpp"

namespace vqt {

[[noreturn]] inline void throw_cuda_error(cudaError_t code, const char* call, const char* file,
                                          int line) {
  throw Error(std::string(file) + ":" + std::to_string(line) + ": " + cudaGetErrorName(code) +
              " (" + cudaGetErrorString(code) + ") in " + call);
}

inline cudaError_t check_last_launch() {
  return cudaGetLastError();
}

}  // namespace vqt

#define VQT_CUDA_CHECK(call)                                              \
  do {                                                                    \
    const cudaError_t vqt_check_err_ = (call);                            \
    if (vqt_check_err_ != cudaSuccess)                                    \
      ::vqt::throw_cuda_error(vqt_check_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define VQT_CUDA_RETURN(call)                             \
  do {                                                    \
    const cudaError_t vqt_ret_err_ = (call);              \
    if (vqt_ret_err_ != cudaSuccess) return vqt_ret_err_; \
  } while (0)
