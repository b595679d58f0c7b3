#include "vq/quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>

#include "vq/error.hpp"
#include "vq/half.hpp"
#include "vq/kmeans.hpp"
#include "vq/reference.hpp"

namespace vqt {

namespace {

// Vector ids (row * groups_per_row + group) of scope instance `inst`, in row-major order.
std::vector<std::int64_t> vectors_of(const VqTensor& t, std::int64_t inst) {
  const auto& c = t.config;
  const std::int64_t gpr = t.groups_per_row();
  std::int64_t r0 = 0, r1 = t.rows, g0 = 0, g1 = gpr;
  if (c.scope == Scope::per_tile) {
    const std::int64_t tiles_per_row = t.cols / c.tile_cols;
    r0 = (inst / tiles_per_row) * c.tile_rows;
    r1 = r0 + c.tile_rows;
    g0 = (inst % tiles_per_row) * (c.tile_cols / c.vec_size);
    g1 = g0 + c.tile_cols / c.vec_size;
  } else if (c.scope == Scope::per_head_group) {
    g0 = inst * (c.channel_group / c.vec_size);
    g1 = g0 + c.channel_group / c.vec_size;
  }
  std::vector<std::int64_t> ids;
  ids.reserve(std::size_t((r1 - r0) * (g1 - g0)));
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t g = g0; g < g1; ++g) ids.push_back(r * gpr + g);
  return ids;
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9E3779B97F4A7C15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Quantizes the vectors of one instance, all levels; writes codes and codebooks into t.
void quantize_instance(VqTensor& t, const float* w, std::int64_t inst, const QuantizeOptions& opt,
                       int threads) {
  const auto& c = t.config;
  const int v = c.vec_size, r = c.residuals;
  const std::int64_t k = c.stored_entries();
  const auto ids = vectors_of(t, inst);
  const auto n = std::int64_t(ids.size());
  const std::int64_t gpr = t.groups_per_row();
  std::vector<float> res(std::size_t(n * v));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t id = ids[std::size_t(i)];
    const float* src = w + (id / gpr) * t.cols + (id % gpr) * v;
    std::copy(src, src + v, res.begin() + i * v);
  }
  std::vector<std::uint16_t> codes(std::size_t(n * r));
  residual_vq(res.data(), n, v, k, r, c.lattice_entries > 0, opt, std::uint64_t(inst), threads,
              t.codebooks.data() + inst * r * k * v, codes.data());
  for (std::int64_t i = 0; i < n; ++i)
    for (int l = 0; l < r; ++l)
      t.codes[std::size_t(ids[std::size_t(i)] * r + l)] = codes[std::size_t(i * r + l)];
}

}  // namespace

void residual_vq(float* res, std::int64_t n, int v, std::int64_t k, int r, bool lattice,
                 const QuantizeOptions& opt, std::uint64_t stream, int threads, float* codebooks,
                 std::uint16_t* codes) {
  std::vector<float> mag;  // |residual| for lattice configs
  std::vector<std::uint16_t> level_codes(static_cast<std::size_t>(n));
  for (int l = 0; l < r; ++l) {
    const float* points = res;
    if (lattice) {
      mag.resize(std::size_t(n * v));
      for (std::size_t i = 0; i < mag.size(); ++i) mag[i] = std::fabs(res[i]);
      points = mag.data();
    }
    // Training sample: all vectors, or max_train_vectors drawn without replacement.
    std::vector<float> sample;
    std::int64_t m = n;
    const float* train = points;
    if (n > opt.max_train_vectors) {
      m = opt.max_train_vectors;
      std::mt19937_64 rng(mix(mix(opt.seed, stream), std::uint64_t(l) + 1000));
      std::vector<std::int64_t> pick(static_cast<std::size_t>(n));
      std::iota(pick.begin(), pick.end(), std::int64_t{0});
      for (std::int64_t j = 0; j < m; ++j) {
        std::uniform_int_distribution<std::int64_t> d(j, n - 1);
        std::swap(pick[std::size_t(j)], pick[std::size_t(d(rng))]);
      }
      std::sort(pick.begin(), pick.begin() + m);
      sample.resize(std::size_t(m * v));
      for (std::int64_t j = 0; j < m; ++j)
        std::copy(points + pick[std::size_t(j)] * v, points + pick[std::size_t(j)] * v + v,
                  sample.begin() + j * v);
      train = sample.data();
    }
    KmeansOptions ko;
    ko.iterations = opt.lloyd_iterations;
    ko.threads = threads;
    ko.seed = mix(mix(opt.seed, stream), std::uint64_t(l));
    const auto cb = kmeans_train(train, m, v, k, ko);
    std::copy(cb.begin(), cb.end(), codebooks + l * k * v);
    kmeans_assign(points, n, v, cb.data(), k, level_codes.data(), nullptr, threads);
    for (std::int64_t i = 0; i < n; ++i) {
      float* x = res + i * v;
      const std::uint32_t row = level_codes[std::size_t(i)];
      std::uint32_t code = row;
      const float* e = cb.data() + std::int64_t(row) * v;
      for (int j = 0; j < v; ++j) {
        const bool negative = lattice && x[j] < 0;
        if (negative) code |= 1u << (8 + j);
        x[j] -= negative ? -e[j] : e[j];
      }
      codes[i * r + l] = std::uint16_t(code);
    }
  }
}

QuantizeResult quantize(const VqConfig& config, const float* w, std::int64_t rows,
                        std::int64_t cols, const QuantizeOptions& opt) {
  QuantizeResult out;
  VqTensor& t = out.tensor;
  check_vq_shape(config, rows, cols,
                 "quantize " + std::to_string(rows) + "x" + std::to_string(cols));
  t.config = config;
  t.rows = rows;
  t.cols = cols;
  t.codes.assign(std::size_t(rows * t.groups_per_row() * config.residuals), 0);
  t.codebooks.assign(
      std::size_t(t.instances() * config.residuals * config.stored_entries() * config.vec_size),
      0.0f);
  if (opt.max_train_vectors < 1 || opt.lloyd_iterations < 0 || opt.threads < 1)
    throw InputError("quantize: max_train_vectors and threads must be >= 1, iterations >= 0");
  for (std::int64_t i = 0; i < rows * cols; ++i)
    if (!std::isfinite(w[i]))
      throw InputError("quantize: weight (" + std::to_string(i / cols) + ", " +
                       std::to_string(i % cols) + ") is not finite");

  const std::int64_t inst = t.instances();
  const int threads = opt.threads;
  if (inst == 1 || threads == 1) {
    for (std::int64_t i = 0; i < inst; ++i) quantize_instance(t, w, i, opt, threads);
  } else {
    // Instances are independent: spread them over the threads, one thread each.
    std::exception_ptr failure;
    std::mutex mu;
    auto work = [&](int wkr) {
      try {
        for (std::int64_t i = wkr; i < inst; i += threads) quantize_instance(t, w, i, opt, 1);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (int wkr = 1; wkr < threads; ++wkr) pool.emplace_back(work, wkr);
    work(0);
    for (auto& th : pool) th.join();
    if (failure) std::rethrow_exception(failure);
  }
  std::int64_t per_instance = t.rows * t.groups_per_row() / inst;
  out.train_vectors = std::min(per_instance, opt.max_train_vectors);
  out.relative_error = relative_error(w, t);
  return out;
}

QuantizeResult quantize_fp16(const VqConfig& config, const std::uint16_t* w_half, std::int64_t rows,
                             std::int64_t cols, const QuantizeOptions& opt) {
  if (rows <= 0 || cols <= 0) return quantize(config, nullptr, rows, cols, opt);  // throws
  std::vector<float> w(std::size_t(rows * cols));
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = half_bits_to_float(w_half[i]);
  return quantize(config, w.data(), rows, cols, opt);
}

double relative_error(const float* w, const VqTensor& t) {
  const auto d = dequantize(t);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double e = double(w[i]) - double(d[i]);
    num += e * e;
    den += double(w[i]) * double(w[i]);
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

}  // namespace vqt
