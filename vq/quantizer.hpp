// The VQ quantizer: turns fp32 or fp16 weights W [rows][cols] into a VqTensor (codebooks + codes)
// for any VqConfig and scope, by k-means per codebook instance and residual level.
//
//   - one codebook per scope instance (per_tensor: 1; per_tile: one per tile; per_head_group: one
//     per group of channel_group columns, see vq/vq_tensor.hpp) and per residual level;
//   - level l is trained on the residual left by levels < l (residual VQ), so the value of a
//     vector is the sum of its r codewords, decoded in level order;
//   - each codebook is trained (k-means++ then Lloyd, vq/kmeans.hpp) on at most
//     max_train_vectors vectors drawn at random from its instance, then every vector is assigned;
//   - lattice configs (quip#-4: 256-row table, v = 8, b = 16): the 256 magnitude rows are learnt
//     by k-means on |x|, a vector's row is its nearest magnitude row and its 8 sign bits are the
//     signs of x (bit 8 + j set when x_j < 0), which is the nearest codeword of that row;
//   - deterministic for a seed, whatever the thread count.
#pragma once

#include <cstdint>

#include "vq/vq_tensor.hpp"

namespace vqt {

struct QuantizeOptions {
  std::uint64_t seed = 1;
  int lloyd_iterations = 8;
  std::int64_t max_train_vectors = 65536;  // per codebook instance and level
  int threads = 2;
};

struct QuantizeResult {
  VqTensor tensor;
  double relative_error = 0;       // ||W - deq(W)||_F / ||W||_F, in fp64
  std::int64_t train_vectors = 0;  // vectors a codebook was trained on (largest instance)
};

// Throws InputError if the shape does not fit the config (cols % v, whole tiles, groups).
QuantizeResult quantize(const VqConfig& config, const float* w, std::int64_t rows,
                        std::int64_t cols, const QuantizeOptions& opt = {});

// fp16 weights given as IEEE binary16 bit patterns (vq/half.hpp converts).
QuantizeResult quantize_fp16(const VqConfig& config, const std::uint16_t* w_half, std::int64_t rows,
                             std::int64_t cols, const QuantizeOptions& opt = {});

// The building block: residual VQ of n vectors res[n][v] with r levels of k-entry codebooks
// (lattice: k = 256 magnitude rows, sign bits from the residual). Writes codebooks [r][k][v] and
// codes [n][r] and leaves the final residual in res. `stream` separates the random streams of
// independent codebook instances.
void residual_vq(float* res, std::int64_t n, int v, std::int64_t k, int r, bool lattice,
                 const QuantizeOptions& opt, std::uint64_t stream, int threads, float* codebooks,
                 std::uint16_t* codes);

// ||W - dequantize(t)||_F / ||W||_F in fp64 (W has t.rows x t.cols elements).
double relative_error(const float* w, const VqTensor& t);

}  // namespace vqt
