// k-means on small vectors (dim 1..16): greedy k-means++ initialisation, Lloyd iterations, and a
// fast nearest-centroid assignment. The building block of the VQ quantizer (vq/quantizer.hpp) and
// of the KV-cache quantizer (vq/kv_cache.hpp).
//
// Assignment uses ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2 with ||c||^2 precomputed; centroids are
// stored transposed in blocks so the inner loop over centroids vectorises, and the points are
// split over `threads` std::threads. Results do not depend on the thread count: every point's
// code is computed independently and centroid updates are summed in fp64 in point order on one
// thread. Ties go to the lowest centroid index.
#pragma once

#include <cstdint>
#include <vector>

namespace vqt {

struct KmeansOptions {
  int iterations = 10;  // Lloyd iterations after initialisation
  int threads = 2;      // std::threads for assignment
  std::uint64_t seed = 1;
  // Greedy k-means++ costs k * n * dim * trials (trials = min(3, 2 + ln k), see kmeans.cpp); trials
  // are cut so that 2 * k * n * trials stays below this, and above it even for one trial the
  // initial centroids are k distinct points drawn at random (Forgy), e.g. for 2^16-entry codebooks.
  std::int64_t kmeanspp_max_pairs = std::int64_t{1} << 29;
};

// Trains k centroids on points x[n][dim] (row-major). Returns centroids [k][dim]. With n <= k,
// every point becomes a centroid and the remaining ones repeat points (they then stay unused).
// Empty clusters are re-seeded with the point farthest from its centroid.
std::vector<float> kmeans_train(const float* x, std::int64_t n, int dim, std::int64_t k,
                                const KmeansOptions& opt);

// codes[i] = index of the nearest centroid to x[i] (k <= 65536). If dist2 is not null it receives
// the squared distance to that centroid.
void kmeans_assign(const float* x, std::int64_t n, int dim, const float* centroids, std::int64_t k,
                   std::uint16_t* codes, float* dist2, int threads);

}  // namespace vqt
