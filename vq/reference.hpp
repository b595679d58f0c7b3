// CPU references with fp64 accumulation: what every GPU kernel is checked against.
// Activations and outputs are row-major. W is a VqTensor of rows = n, cols = k.
#pragma once

#include <cstdint>
#include <vector>

#include "vq/vq_tensor.hpp"

namespace vqt {

// W as fp32 [rows][cols].
std::vector<float> dequantize(const VqTensor& w);

// y[m][n] = sum_k x[m][k] * W[n][k], accumulated in fp64. x has m * w.cols elements.
std::vector<double> reference_gemm(const VqTensor& w, const float* x, std::int64_t m);

// gemv is gemm with m = batch (1..16); kept as its own name for the tests' readability.
inline std::vector<double> reference_gemv(const VqTensor& w, const float* x, std::int64_t batch) {
  return reference_gemm(w, x, batch);
}

}  // namespace vqt
