#include "vq/reference.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include "vq/error.hpp"

namespace vqt {

// Decodes row `row` of W into out[0..cols), summing the levels in order 0..r-1 in fp32 (the same
// order the quantizer used, so dequantize() is bit-stable under frequency reordering).
static void dequantize_row(const VqTensor& w, std::int64_t row, float* out) {
  const int v = w.config.vec_size;
  const int r = w.config.residuals;
  float cw[16];
  for (std::int64_t g = 0; g < w.groups_per_row(); ++g) {
    const std::int64_t inst = w.instance_of(row, g * v);
    float* o = out + g * v;
    for (int j = 0; j < v; ++j) o[j] = 0.0f;
    for (int l = 0; l < r; ++l) {
      decode_codeword(w, inst, l, w.code(row, g, l), cw);
      for (int j = 0; j < v; ++j) o[j] += cw[j];
    }
  }
}

std::vector<float> dequantize(const VqTensor& w) {
  w.check_consistent();
  std::vector<float> out(std::size_t(w.rows * w.cols));
  for (std::int64_t n = 0; n < w.rows; ++n) dequantize_row(w, n, out.data() + n * w.cols);
  return out;
}

std::vector<double> reference_gemm(const VqTensor& w, const float* x, std::int64_t m) {
  if (m <= 0) throw InputError("reference_gemm: m=" + std::to_string(m) + " must be positive");
  w.check_consistent();
  std::vector<double> y(std::size_t(m * w.rows), 0.0);
  // Output rows are independent: split them over up to 2 threads (results do not depend on it).
  auto rows = [&](std::int64_t n0, std::int64_t n1) {
    std::vector<float> wrow(static_cast<std::size_t>(w.cols));
    for (std::int64_t n = n0; n < n1; ++n) {
      dequantize_row(w, n, wrow.data());
      for (std::int64_t i = 0; i < m; ++i) {
        const float* xi = x + i * w.cols;
        double acc = 0.0;
        for (std::int64_t k = 0; k < w.cols; ++k)
          acc += double(xi[k]) * double(wrow[std::size_t(k)]);
        y[std::size_t(i * w.rows + n)] = acc;
      }
    }
  };
  if (w.rows * w.cols * m < (std::int64_t{1} << 22)) {
    rows(0, w.rows);
  } else {
    const std::int64_t half = w.rows / 2;
    std::thread other(rows, half, w.rows);
    rows(0, half);
    other.join();
  }
  return y;
}

std::vector<double> reference_attention_decode(const float* q, std::int64_t q_heads,
                                               const KvCacheVq& kv, double scale) {
  if (q_heads <= 0 || q_heads % kv.kv_heads != 0)
    throw InputError("reference_attention_decode: q_heads=" + std::to_string(q_heads) +
                     " must be a positive multiple of kv_heads=" + std::to_string(kv.kv_heads));
  const std::int64_t d = kv.head_dim, ctx = kv.context;
  const std::int64_t group = q_heads / kv.kv_heads;
  const auto keys = dequantize_kv(kv, true);
  const auto vals = dequantize_kv(kv, false);
  std::vector<double> out(std::size_t(kv.batch * q_heads * d), 0.0);
  std::vector<double> score(static_cast<std::size_t>(ctx));
  for (std::int64_t b = 0; b < kv.batch; ++b)
    for (std::int64_t h = 0; h < q_heads; ++h) {
      const std::int64_t kvh = h / group;
      const float* qv = q + (b * q_heads + h) * d;
      const float* kb = keys.data() + (b * kv.kv_heads + kvh) * ctx * d;
      const float* vb = vals.data() + (b * kv.kv_heads + kvh) * ctx * d;
      double mx = -INFINITY;
      for (std::int64_t t = 0; t < ctx; ++t) {
        double s = 0;
        for (std::int64_t c = 0; c < d; ++c) s += double(qv[c]) * double(kb[t * d + c]);
        score[std::size_t(t)] = s * scale;
        mx = std::max(mx, score[std::size_t(t)]);
      }
      double denom = 0;
      for (auto& s : score) {
        s = std::exp(s - mx);
        denom += s;
      }
      double* o = out.data() + (b * q_heads + h) * d;
      for (std::int64_t t = 0; t < ctx; ++t) {
        const double p = score[std::size_t(t)] / denom;
        for (std::int64_t c = 0; c < d; ++c) o[c] += p * double(vb[t * d + c]);
      }
    }
  return out;
}

}  // namespace vqt
