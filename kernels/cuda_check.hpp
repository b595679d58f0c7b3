// CUDA error checks for every CUDA folder (kernels/ and their host helpers, profiler/, the
// measuring half of tuner/, tests, benchmarks). Header only: needs the CUDA runtime headers and
// vq/error.hpp, nothing to link, so profiler/ and tuner/ include it without linking vqt::kernels.
//
//   VQT_CUDA_CHECK(call)       throws vqt::CudaError (a vqt::Error) with file:line, the error
//                              name, its text and the failing call's text; code() keeps the
//                              cudaError_t, so the tuner can map it to a candidate status
//   VQT_CUDA_CALL(call)        the same (profiler/'s former name, kept for its call sites)
//   VQT_CUDA_RETURN(call)      returns the cudaError_t from the enclosing function (launchers,
//                              which never throw: they return cudaError_t, STYLE.md)
//   VQT_CUDA_WARN(call)        never throws: prints the same message to stderr and evaluates to
//                              the cudaError_t (destructors, cleanup on an error path); silent
//                              for cudaErrorCudartUnloading (static destructors at exit)
//   vqt::check_last_launch()   cudaGetLastError after a launch, as a cudaError_t
#pragma once

#include <cuda_runtime_api.h>

#include <cstdio>
#include <string>

#include "vq/error.hpp"

namespace vqt {

// A failed CUDA runtime call; what() is "file:line: cudaErrorName (text) in call".
class CudaError : public Error {
 public:
  CudaError(cudaError_t code, const std::string& what) : Error(what), code_(code) {}
  cudaError_t code() const { return code_; }

 private:
  cudaError_t code_;
};

inline std::string cuda_error_message(cudaError_t code, const char* call, const char* file,
                                      int line) {
  return std::string(file) + ":" + std::to_string(line) + ": " + cudaGetErrorName(code) + " (" +
         cudaGetErrorString(code) + ") in " + call;
}

[[noreturn]] inline void throw_cuda_error(cudaError_t code, const char* call, const char* file,
                                          int line) {
  throw CudaError(code, cuda_error_message(code, call, file, line));
}

inline cudaError_t warn_cuda_error(cudaError_t code, const char* call, const char* file,
                                   int line) noexcept {
  if (code != cudaSuccess && code != cudaErrorCudartUnloading) {
    try {
      std::fprintf(stderr, "vqtune: %s\n", cuda_error_message(code, call, file, line).c_str());
    } catch (...) {  // std::string could not allocate: say less
      std::fprintf(stderr, "vqtune: %s:%d: %s in %s\n", file, line, cudaGetErrorName(code), call);
    }
  }
  return code;
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

#define VQT_CUDA_CALL(call) VQT_CUDA_CHECK(call)

#define VQT_CUDA_RETURN(call)                             \
  do {                                                    \
    const cudaError_t vqt_ret_err_ = (call);              \
    if (vqt_ret_err_ != cudaSuccess) return vqt_ret_err_; \
  } while (0)

#define VQT_CUDA_WARN(call) ::vqt::warn_cuda_error((call), #call, __FILE__, __LINE__)
