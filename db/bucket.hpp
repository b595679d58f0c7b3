// Shape buckets: the heuristics database keeps one winner per GPU x op x VQ config x bucket.
//
//   gemv / gemm:            (m, n, k, 1, 1) with m rounded UP to a power of two (the batch bucket
//                           1, 2, 4, 8, 16, ...) and n, k rounded to the nearest power of two in
//                           log space (11008 -> 8192, 12288 -> 16384).
//   attention / offload_*:  (batch, q_heads, kv_heads, head_dim, context) with batch rounded up to
//                           a power of two, heads and head_dim exact, context rounded to the
//                           nearest power of two.
//
// A bucket's dims are sizes (not exponents), so its key reads like a shape: "m1:n8192:k4096" or
// "b1:hq32:hkv8:d128:ctx4096". bucket_distance() is the L1 distance of log2(dims): the nearest
// bucket of the same op and VQ config answers when no exact bucket exists.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "model/problem.hpp"

namespace vqt::db {

constexpr int kBucketDims = 5;

struct ShapeBucket {
  std::int64_t dims[kBucketDims] = {1, 1, 1, 1, 1};
};

inline bool operator==(const ShapeBucket& a, const ShapeBucket& b) {
  for (int i = 0; i < kBucketDims; ++i)
    if (a.dims[i] != b.dims[i]) return false;
  return true;
}

// Smallest power of two >= x (x >= 1; values below 1 give 1).
inline std::int64_t pow2_ceil(std::int64_t x) {
  std::int64_t p = 1;
  while (p < x) p <<= 1;
  return p;
}

// The power of two nearest to x in log space (x >= 1; values below 1 give 1).
inline std::int64_t pow2_round(std::int64_t x) {
  if (x <= 1) return 1;
  std::int64_t p = 1;
  while (p * 2 <= x) p <<= 1;  // p = 2^floor(log2 x)
  return double(x) >= double(p) * 1.4142135623730951 ? p * 2 : p;
}

inline bool is_matmul(Op op) {
  return op == Op::gemv || op == Op::gemm;
}

inline ShapeBucket bucket_of(const Problem& p) {
  ShapeBucket b;
  if (is_matmul(p.op)) {
    b.dims[0] = pow2_ceil(p.m);
    b.dims[1] = pow2_round(p.n);
    b.dims[2] = pow2_round(p.k);
  } else {
    b.dims[0] = pow2_ceil(p.batch);
    b.dims[1] = p.q_heads;
    b.dims[2] = p.kv_heads;
    b.dims[3] = p.head_dim;
    b.dims[4] = pow2_round(p.context);
  }
  return b;
}

std::string bucket_key(Op op, const ShapeBucket& b);

// L1 distance of log2(dims); 0 for the same bucket.
inline double bucket_distance(const ShapeBucket& a, const ShapeBucket& b) {
  double d = 0;
  for (int i = 0; i < kBucketDims; ++i)
    d += std::fabs(std::log2(double(a.dims[i])) - std::log2(double(b.dims[i])));
  return d;
}

}  // namespace vqt::db
