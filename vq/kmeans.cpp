#include "vq/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <thread>

#include "vq/error.hpp"

namespace vqt {

namespace {

constexpr int kBlock = 256;  // centroids per transposed block (dim * 1 KiB, stays in L1)
constexpr int kXb = 4;       // points sharing one pass over a block
constexpr float kPadNorm = 1e30f;

// Centroids transposed per block: ct[block][d][j], cn[j] = ||c_j||^2 (padding: kPadNorm).
struct Prepared {
  std::int64_t blocks = 0;
  std::vector<float> ct;
  std::vector<float> cn;
};

Prepared prepare(const float* c, std::int64_t k, int dim) {
  Prepared p;
  p.blocks = (k + kBlock - 1) / kBlock;
  p.ct.assign(std::size_t(p.blocks * dim * kBlock), 0.0f);
  p.cn.assign(std::size_t(p.blocks * kBlock), kPadNorm);
  for (std::int64_t j = 0; j < k; ++j) {
    const std::int64_t b = j / kBlock, jj = j % kBlock;
    float norm = 0;
    for (int d = 0; d < dim; ++d) {
      const float v = c[j * dim + d];
      p.ct[std::size_t((b * dim + d) * kBlock + jj)] = v;
      norm += v * v;
    }
    p.cn[std::size_t(j)] = norm;
  }
  return p;
}

// The kernels below are instantiated for the baseline ISA, AVX2 and (assignment only) AVX-512,
// picked at run time. kmeans.cpp is compiled with -ffp-contract=off (vq/CMakeLists.txt), so all
// of them compute bit-identical distances and codes.
#define VQT_ALWAYS_INLINE __attribute__((always_inline)) inline

// Smallest value of d[0..kBlock), lane-wise so it vectorises.
VQT_ALWAYS_INLINE float min_block(const float* d) {
  float lv[16];
  for (int l = 0; l < 16; ++l) lv[l] = d[l];
  for (int j = 16; j < kBlock; j += 16)
    for (int l = 0; l < 16; ++l) lv[l] = d[j + l] < lv[l] ? d[j + l] : lv[l];
  float m = lv[0];
  for (int l = 1; l < 16; ++l) m = lv[l] < m ? lv[l] : m;
  return m;
}

template <int D>
VQT_ALWAYS_INLINE void assign_kernel(const float* x, std::int64_t i0, std::int64_t i1,
                                     const Prepared& p, std::uint16_t* codes, float* dist2) {
  alignas(64) float dist[kXb][kBlock];
  for (std::int64_t i = i0; i < i1; i += kXb) {
    const int nb = int(std::min<std::int64_t>(kXb, i1 - i));
    float m2x[kXb][D];
    float xn[kXb];
    for (int b = 0; b < kXb; ++b) {
      xn[b] = 0;
      for (int d = 0; d < D; ++d) {
        const float v = b < nb ? x[(i + b) * D + d] : 0.0f;
        m2x[b][d] = -2.0f * v;
        xn[b] += v * v;
      }
    }
    float bestv[kXb];
    std::int64_t besti[kXb];
    for (int b = 0; b < kXb; ++b) {
      bestv[b] = std::numeric_limits<float>::infinity();
      besti[b] = 0;
    }
    for (std::int64_t blk = 0; blk < p.blocks; ++blk) {
      const float* ctb = p.ct.data() + blk * D * kBlock;
      const float* cnb = p.cn.data() + blk * kBlock;
      for (int j = 0; j < kBlock; ++j) {
        float acc[kXb];
        for (int b = 0; b < kXb; ++b) acc[b] = cnb[j];
        for (int d = 0; d < D; ++d) {
          const float c = ctb[d * kBlock + j];
          for (int b = 0; b < kXb; ++b) acc[b] += m2x[b][d] * c;
        }
        for (int b = 0; b < kXb; ++b) dist[b][j] = acc[b];
      }
      // The block minimum is vectorised; the index is searched only when it improves the best
      // so far, which after the first blocks is rare. Strict '<' keeps the lowest index on ties.
      for (int b = 0; b < nb; ++b) {
        const float m = min_block(dist[b]);
        if (m < bestv[b]) {
          int j = 0;
          while (dist[b][j] != m) ++j;
          bestv[b] = m;
          besti[b] = blk * kBlock + j;
        }
      }
    }
    for (int b = 0; b < nb; ++b) {
      codes[i + b] = std::uint16_t(besti[b]);
      if (dist2) dist2[i + b] = std::max(0.0f, bestv[b] + xn[b]);
    }
  }
}

#define VQT_ASSIGN_SWITCH                                   \
  switch (dim) {                                            \
    case 1:                                                 \
      return assign_kernel<1>(x, i0, i1, p, codes, dist2);  \
    case 2:                                                 \
      return assign_kernel<2>(x, i0, i1, p, codes, dist2);  \
    case 4:                                                 \
      return assign_kernel<4>(x, i0, i1, p, codes, dist2);  \
    case 8:                                                 \
      return assign_kernel<8>(x, i0, i1, p, codes, dist2);  \
    default:                                                \
      return assign_kernel<16>(x, i0, i1, p, codes, dist2); \
  }

#if defined(__x86_64__) || defined(__i386__)
#define VQT_X86_DISPATCH 1
__attribute__((target("avx2"))) void assign_avx2(const float* x, std::int64_t i0, std::int64_t i1,
                                                 int dim, const Prepared& p, std::uint16_t* codes,
                                                 float* dist2) {
  VQT_ASSIGN_SWITCH;
}

__attribute__((target("avx512f"))) void assign_avx512(const float* x, std::int64_t i0,
                                                      std::int64_t i1, int dim, const Prepared& p,
                                                      std::uint16_t* codes, float* dist2) {
  VQT_ASSIGN_SWITCH;
}

#endif

void assign_base(const float* x, std::int64_t i0, std::int64_t i1, int dim, const Prepared& p,
                 std::uint16_t* codes, float* dist2) {
  VQT_ASSIGN_SWITCH;
}

#ifdef VQT_X86_DISPATCH
bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
#endif

void check_dim(int dim) {
  if (dim != 1 && dim != 2 && dim != 4 && dim != 8 && dim != 16)
    throw InputError("k-means: vector size " + std::to_string(dim) +
                     " is not one of 1, 2, 4, 8, 16");
}

void assign_dispatch(const float* x, std::int64_t i0, std::int64_t i1, int dim, const Prepared& p,
                     std::uint16_t* codes, float* dist2) {
#ifdef VQT_X86_DISPATCH
  if (has_avx512()) return assign_avx512(x, i0, i1, dim, p, codes, dist2);
  if (has_avx2()) return assign_avx2(x, i0, i1, dim, p, codes, dist2);
#endif
  return assign_base(x, i0, i1, dim, p, codes, dist2);
}

constexpr std::int64_t kPpBlock = 1024;  // points per partial sum in k-means++ sampling

// k-means++ step over points stored transposed (xt[d][n]): m_i = min(d2[i], ||x_i - c||^2),
// sums[b] = sum of m_i over points [b * kPpBlock, (b + 1) * kPpBlock); with write, d2[i] = m_i
// (a chosen centre), without, d2 is left alone (a candidate being tried).
template <int D>
VQT_ALWAYS_INLINE void pp_kernel(const float* xt, std::int64_t n, const float* c, float* d2,
                                 double* sums, bool write) {
  for (std::int64_t b0 = 0; b0 < n; b0 += kPpBlock) {
    const std::int64_t b1 = std::min(n, b0 + kPpBlock);
    float lanes[16] = {};
    std::int64_t i = b0;
    for (; i + 16 <= b1; i += 16) {
      float m[16];
      for (int l = 0; l < 16; ++l) {
        float t = 0;
        for (int d = 0; d < D; ++d) {
          const float e = xt[d * n + i + l] - c[d];
          t += e * e;
        }
        m[l] = t < d2[i + l] ? t : d2[i + l];
        lanes[l] += m[l];
      }
      if (write)
        for (int l = 0; l < 16; ++l) d2[i + l] = m[l];
    }
    double s = 0;
    for (; i < b1; ++i) {
      float t = 0;
      for (int d = 0; d < D; ++d) {
        const float e = xt[d * n + i] - c[d];
        t += e * e;
      }
      const float m = t < d2[i] ? t : d2[i];
      if (write) d2[i] = m;
      s += m;
    }
    for (float l : lanes) s += l;
    sums[b0 / kPpBlock] = s;
  }
}

#define VQT_PP_SWITCH                                  \
  switch (dim) {                                       \
    case 1:                                            \
      return pp_kernel<1>(xt, n, c, d2, sums, write);  \
    case 2:                                            \
      return pp_kernel<2>(xt, n, c, d2, sums, write);  \
    case 4:                                            \
      return pp_kernel<4>(xt, n, c, d2, sums, write);  \
    case 8:                                            \
      return pp_kernel<8>(xt, n, c, d2, sums, write);  \
    default:                                           \
      return pp_kernel<16>(xt, n, c, d2, sums, write); \
  }

#ifdef VQT_X86_DISPATCH
__attribute__((target("avx2"))) void pp_avx2(const float* xt, std::int64_t n, int dim,
                                             const float* c, float* d2, double* sums, bool write) {
  VQT_PP_SWITCH;
}
#endif

void pp_base(const float* xt, std::int64_t n, int dim, const float* c, float* d2, double* sums,
             bool write) {
  VQT_PP_SWITCH;
}

// Greedy k-means++ (as scikit-learn does): each step draws `trials` candidates by D^2 sampling
// and keeps the one that lowers the total squared distance most, which makes the "two centres in
// one cluster" failure of plain k-means++ rare. trials = min(3, 2 + ln k) (scikit-learn uses
// 2 + ln k; 3 keeps most of the gain at less than half the cost for 256 entries), fewer when
// 2 * k * n * trials would exceed `max_pairs` (at least 1: plain k-means++, e.g. aqlm-3 on a 64k
// sample).
std::vector<float> init_kmeanspp(const float* x, std::int64_t n, int dim, std::int64_t k,
                                 std::int64_t max_pairs, std::mt19937_64& rng) {
  std::vector<float> c(std::size_t(k * dim));
  std::vector<float> xt(std::size_t(n * dim));
  for (std::int64_t i = 0; i < n; ++i)
    for (int d = 0; d < dim; ++d) xt[std::size_t(d * n + i)] = x[i * dim + d];
  std::vector<float> d2(static_cast<std::size_t>(n), std::numeric_limits<float>::max());
  const std::size_t blocks = std::size_t((n + kPpBlock - 1) / kPpBlock);
  std::vector<double> sums(blocks), trial_sums(blocks), best_sums(blocks);
  auto pass = [&](const float* cj, double* out, bool write) {
#ifdef VQT_X86_DISPATCH
    if (has_avx2()) return pp_avx2(xt.data(), n, dim, cj, d2.data(), out, write);
#endif
    pp_base(xt.data(), n, dim, cj, d2.data(), out, write);
  };
  auto total_of = [](const std::vector<double>& v) {
    double t = 0;
    for (double s : v) t += s;
    return t;
  };
  std::int64_t trials = std::min<std::int64_t>(3, 2 + std::int64_t(std::log(double(k))));
  trials = std::clamp<std::int64_t>(max_pairs / std::max<std::int64_t>(1, 2 * k * n), 1, trials);
  std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::int64_t first = pick(rng);
  std::copy(x + first * dim, x + first * dim + dim, c.begin());
  pass(c.data(), sums.data(), true);
  for (std::int64_t j = 1; j < k; ++j) {
    const double total = total_of(sums);
    std::int64_t best = -1;
    double best_total = 0;
    for (std::int64_t trial = 0; trial < trials; ++trial) {
      std::int64_t chosen = -1;
      if (total > 0) {
        // D^2 sampling: find the block holding the target mass, then the point inside it.
        double r = u(rng) * total;
        std::size_t b = 0;
        while (b + 1 < sums.size() && r >= sums[b]) r -= sums[b++];
        const std::int64_t i0 = std::int64_t(b) * kPpBlock, i1 = std::min(n, i0 + kPpBlock);
        double run = 0;
        for (std::int64_t i = i0; i < i1; ++i) {
          if (d2[std::size_t(i)] <= 0) continue;
          chosen = i;  // the last positive one if rounding leaves r beyond the block's sum
          run += d2[std::size_t(i)];
          if (run > r) break;
        }
      }
      if (chosen < 0) chosen = pick(rng);  // all points coincide with centroids
      if (trials == 1) {
        best = chosen;
        break;
      }
      pass(x + chosen * dim, trial_sums.data(), false);
      const double t = total_of(trial_sums);
      if (best < 0 || t < best_total) {
        best = chosen;
        best_total = t;
      }
    }
    float* cj = c.data() + j * dim;
    std::copy(x + best * dim, x + best * dim + dim, cj);
    pass(cj, sums.data(), true);
  }
  return c;
}

std::vector<float> init_forgy(const float* x, std::int64_t n, int dim, std::int64_t k,
                              std::mt19937_64& rng) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), std::int64_t{0});
  for (std::int64_t j = 0; j < k; ++j) {
    std::uniform_int_distribution<std::int64_t> pick(j, n - 1);
    std::swap(idx[std::size_t(j)], idx[std::size_t(pick(rng))]);
  }
  std::vector<float> c(std::size_t(k * dim));
  for (std::int64_t j = 0; j < k; ++j)
    std::copy(x + idx[std::size_t(j)] * dim, x + idx[std::size_t(j)] * dim + dim,
              c.begin() + j * dim);
  return c;
}

}  // namespace

void kmeans_assign(const float* x, std::int64_t n, int dim, const float* centroids, std::int64_t k,
                   std::uint16_t* codes, float* dist2, int threads) {
  if (k < 1 || k > 65536)
    throw InputError("k-means: " + std::to_string(k) + " centroids, accepted 1..65536");
  check_dim(dim);
  if (n <= 0) return;
  const Prepared p = prepare(centroids, k, dim);
  // Below ~4k points one thread is faster than starting more.
  const int t = int(std::clamp<std::int64_t>(std::min<std::int64_t>(threads, n / 4096), 1, 64));
  if (t == 1) return assign_dispatch(x, 0, n, dim, p, codes, dist2);
  std::vector<std::thread> pool;
  const std::int64_t chunk = (n + t - 1) / t;
  for (int w = 1; w < t; ++w) {
    const std::int64_t a = w * chunk, b = std::min(n, a + chunk);
    if (a < b) pool.emplace_back(assign_dispatch, x, a, b, dim, std::cref(p), codes, dist2);
  }
  assign_dispatch(x, 0, std::min(n, chunk), dim, p, codes, dist2);
  for (auto& th : pool) th.join();
}

std::vector<float> kmeans_train(const float* x, std::int64_t n, int dim, std::int64_t k,
                                const KmeansOptions& opt) {
  if (n <= 0) throw InputError("k-means: no training points");
  check_dim(dim);
  if (k < 1 || k > 65536)
    throw InputError("k-means: " + std::to_string(k) + " centroids, accepted 1..65536");
  std::vector<float> c;
  if (n <= k) {
    c.resize(std::size_t(k * dim));
    for (std::int64_t j = 0; j < k; ++j)
      std::copy(x + (j % n) * dim, x + (j % n) * dim + dim, c.begin() + j * dim);
    return c;
  }
  std::mt19937_64 rng(opt.seed);
  c = k * n <= opt.kmeanspp_max_pairs ? init_kmeanspp(x, n, dim, k, opt.kmeanspp_max_pairs, rng)
                                      : init_forgy(x, n, dim, k, rng);
  std::vector<std::uint16_t> codes(static_cast<std::size_t>(n)), prev;
  std::vector<float> d2(static_cast<std::size_t>(n));
  std::vector<double> sums(std::size_t(k * dim));
  std::vector<std::int64_t> counts(static_cast<std::size_t>(k));
  for (int it = 0; it < opt.iterations; ++it) {
    kmeans_assign(x, n, dim, c.data(), k, codes.data(), d2.data(), opt.threads);
    if (codes == prev) break;  // converged: the update would not move anything
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::size_t j = codes[std::size_t(i)];
      ++counts[j];
      for (int d = 0; d < dim; ++d) sums[j * dim + d] += x[i * dim + d];
    }
    std::vector<std::int64_t> empty;
    for (std::int64_t j = 0; j < k; ++j) {
      if (counts[std::size_t(j)] == 0) {
        empty.push_back(j);
        continue;
      }
      for (int d = 0; d < dim; ++d)
        c[std::size_t(j * dim + d)] =
            float(sums[std::size_t(j * dim + d)] / double(counts[std::size_t(j)]));
    }
    if (!empty.empty()) {
      // Re-seed empty clusters with the points worst served so far (largest distance first).
      std::vector<std::int64_t> order(static_cast<std::size_t>(n));
      std::iota(order.begin(), order.end(), std::int64_t{0});
      const auto m = std::min<std::size_t>(empty.size(), order.size());
      std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(m), order.end(),
                        [&](std::int64_t a, std::int64_t b) {
                          const float da = d2[std::size_t(a)], db = d2[std::size_t(b)];
                          return da > db || (da == db && a < b);
                        });
      for (std::size_t e = 0; e < m; ++e)
        std::copy(x + order[e] * dim, x + order[e] * dim + dim, c.begin() + empty[e] * dim);
    }
    prev.swap(codes);
    codes.resize(prev.size());
  }
  return c;
}

}  // namespace vqt
