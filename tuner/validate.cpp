#include "tuner/validate.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <sstream>
#include <thread>

#include "vq/error.hpp"
#include "vq/half.hpp"

namespace vqt::tuner {

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
double uniform01(std::uint64_t& s) {
  return double(splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}
float half_round(float f) {
  return half_bits_to_float(float_to_half_bits(f));
}

namespace {

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t s = seed ^ (0x5eed5eedull + stream * 0x9e3779b97f4a7c15ull);
  return splitmix(s);
}

// Index i of `cdf` with cdf[i-1] < u <= cdf[i]: a 1024-bucket start table, then a short scan.
class CdfSampler {
 public:
  explicit CdfSampler(const std::vector<double>& cdf) : cdf_(cdf), start_(1025, 0) {
    if (cdf.empty()) throw InputError("empty code CDF");
    std::size_t i = 0;
    for (std::size_t b = 0; b <= 1024; ++b) {
      const double u = double(b) / 1024.0;
      while (i + 1 < cdf_.size() && cdf_[i] < u) ++i;
      start_[b] = std::uint32_t(i);
    }
  }
  std::uint32_t operator()(double u) const {
    std::size_t i = start_[std::size_t(u * 1024.0)];
    while (i + 1 < cdf_.size() && cdf_[i] < u) ++i;
    return std::uint32_t(i);
  }

 private:
  const std::vector<double>& cdf_;
  std::vector<std::uint32_t> start_;
};

constexpr std::int64_t kChunk = 1 << 16;  // elements per seeded stream

}  // namespace

void parallel_for(std::int64_t n, const std::function<void(std::int64_t)>& fn, int threads) {
  if (n <= 0) return;
  int t =
      threads > 0 ? threads : int(std::min(16u, std::max(1u, std::thread::hardware_concurrency())));
  t = int(std::min<std::int64_t>(t, n));
  if (t <= 1) {
    for (std::int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::int64_t> next{0};
  std::vector<std::thread> pool;
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  auto work = [&]() {
    for (std::int64_t i; (i = next++) < n;) {
      if (failed) return;
      try {
        fn(i);
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
        return;
      }
    }
  };
  for (int i = 1; i < t; ++i) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

VqTensor zipf_weights(const VqConfig& vq, std::int64_t rows, std::int64_t cols,
                      const std::vector<double>& cdf, std::uint64_t seed) {
  VqTensor t;
  t.config = vq;
  t.rows = rows;
  t.cols = cols;
  const std::int64_t stored = vq.stored_entries();
  if (std::int64_t(cdf.size()) != stored)
    throw InputError("code CDF has " + std::to_string(cdf.size()) + " entries, " + vq.describe() +
                     " stores " + std::to_string(stored));
  const std::int64_t n_codes = rows * t.groups_per_row() * vq.residuals;
  t.codes.resize(std::size_t(n_codes));
  const bool lattice = vq.lattice_entries > 0;
  const CdfSampler sample(cdf);
  parallel_for((n_codes + kChunk - 1) / kChunk, [&](std::int64_t c) {
    std::uint64_t rng = stream_seed(seed, std::uint64_t(c));
    const std::int64_t end = std::min(n_codes, (c + 1) * kChunk);
    for (std::int64_t i = c * kChunk; i < end; ++i) {
      std::uint32_t idx = sample(uniform01(rng));
      if (lattice) idx |= std::uint32_t(splitmix(rng) & 0xff) << 8;
      t.codes[std::size_t(i)] = std::uint16_t(idx);
    }
  });
  t.codebooks.resize(std::size_t(t.instances() * vq.residuals * stored * vq.vec_size));
  std::uint64_t rng = stream_seed(seed, ~0ull);
  for (auto& v : t.codebooks) v = half_round(float(2.0 * uniform01(rng) - 1.0));
  t.check_consistent();
  return t;
}

void random_halves(std::size_t n, std::uint64_t seed, std::vector<float>& values,
                   std::vector<std::uint16_t>& bits) {
  values.resize(n);
  bits.resize(n);
  const std::int64_t chunks = (std::int64_t(n) + kChunk - 1) / kChunk;
  parallel_for(chunks, [&](std::int64_t c) {
    std::uint64_t rng = stream_seed(seed ^ 0xa11ce, std::uint64_t(c));
    const std::size_t end = std::min(n, std::size_t((c + 1) * kChunk));
    for (std::size_t i = std::size_t(c * kChunk); i < end; ++i) {
      bits[i] = float_to_half_bits(float(2.0 * uniform01(rng) - 1.0));
      values[i] = half_bits_to_float(bits[i]);
    }
  });
}

KvCacheVq zipf_kv_cache(const VqConfig& cq, std::int64_t batch, std::int64_t kv_heads,
                        std::int64_t context, std::int64_t head_dim, const std::vector<double>& cdf,
                        std::uint64_t seed) {
  check_kv_config(cq, head_dim);
  if (cq.residuals != 1 || cq.channel_group != cq.vec_size)
    throw InputError("zipf_kv_cache: CQ caches with r = 1 and channel_group = v only, got " +
                     cq.describe());
  if (std::int64_t(cdf.size()) != cq.entries())
    throw InputError("code CDF has " + std::to_string(cdf.size()) + " entries, " + cq.describe() +
                     " has " + std::to_string(cq.entries()));
  KvCacheVq kv;
  kv.config = cq;
  kv.batch = batch;
  kv.kv_heads = kv_heads;
  kv.context = context;
  kv.head_dim = head_dim;
  const std::int64_t per_seq = context * kv.groups();
  kv.k_codes.resize(std::size_t(batch * kv_heads * per_seq));
  kv.v_codes.resize(kv.k_codes.size());
  const CdfSampler sample(cdf);
  const std::int64_t chunks = (per_seq + kChunk - 1) / kChunk;
  parallel_for(2 * batch * kv_heads * chunks, [&](std::int64_t i) {
    const bool keys = i % 2 == 0;
    const std::int64_t seq = i / 2 / chunks, c = i / 2 % chunks;
    std::uint64_t rng = stream_seed(seed ^ 0xcafe, std::uint64_t(i));
    auto& codes = keys ? kv.k_codes : kv.v_codes;
    const std::int64_t end = std::min(per_seq, (c + 1) * kChunk);
    for (std::int64_t j = c * kChunk; j < end; ++j)
      codes[std::size_t(seq * per_seq + j)] = std::uint8_t(sample(uniform01(rng)));
  });
  const std::size_t cb =
      std::size_t(kv_heads * kv.codebooks_per_head() * cq.entries() * cq.vec_size);
  kv.k_codebooks.resize(cb);
  kv.v_codebooks.resize(cb);
  std::uint64_t rng = stream_seed(seed ^ 0xcafe, ~0ull);
  for (auto& v : kv.k_codebooks) v = half_round(float(2.0 * uniform01(rng) - 1.0));
  for (auto& v : kv.v_codebooks) v = half_round(float(2.0 * uniform01(rng) - 1.0));
  kv.check_consistent();
  return kv;
}

std::vector<double> reference_cq_attention(const float* q, std::int64_t q_heads,
                                           const KvCacheVq& kv, double scale) {
  if (q_heads <= 0 || q_heads % kv.kv_heads != 0)
    throw InputError("reference_cq_attention: q_heads=" + std::to_string(q_heads) +
                     " must be a positive multiple of kv_heads=" + std::to_string(kv.kv_heads));
  if (kv.config.residuals != 1 || kv.config.channel_group != kv.config.vec_size)
    throw InputError("reference_cq_attention: r = 1 and channel_group = v only");
  const std::int64_t d = kv.head_dim, ctx = kv.context, g_n = kv.groups();
  const std::int64_t v = kv.config.vec_size, e_n = kv.config.entries();
  const std::int64_t group = q_heads / kv.kv_heads;
  std::vector<double> out(std::size_t(kv.batch * q_heads * d), 0.0);
  parallel_for(kv.batch * q_heads, [&](std::int64_t bh) {
    const std::int64_t b = bh / q_heads, h = bh % q_heads, kvh = h / group;
    const float* qv = q + bh * d;
    // table[g][e] = q[g*v .. g*v+v) . K codeword e of group g
    std::vector<double> table(std::size_t(g_n * e_n));
    for (std::int64_t g = 0; g < g_n; ++g)
      for (std::int64_t e = 0; e < e_n; ++e) {
        const float* cw = kv.entry_ptr(true, kvh, g, 0, e);
        double s = 0;
        for (std::int64_t j = 0; j < v; ++j) s += double(qv[g * v + j]) * double(cw[j]);
        table[std::size_t(g * e_n + e)] = s;
      }
    const std::uint8_t* kc = kv.k_codes.data() + (b * kv.kv_heads + kvh) * ctx * g_n;
    const std::uint8_t* vc = kv.v_codes.data() + (b * kv.kv_heads + kvh) * ctx * g_n;
    std::vector<double> score(static_cast<std::size_t>(ctx));
    double mx = -INFINITY;
    for (std::int64_t t = 0; t < ctx; ++t) {
      double s = 0;
      for (std::int64_t g = 0; g < g_n; ++g) s += table[std::size_t(g * e_n + kc[t * g_n + g])];
      score[std::size_t(t)] = s * scale;
      mx = std::max(mx, score[std::size_t(t)]);
    }
    double denom = 0;
    for (auto& s : score) {
      s = std::exp(s - mx);
      denom += s;
    }
    // weight[g][e] = sum of the probabilities of the tokens whose V code in group g is e
    std::vector<double> weight(std::size_t(g_n * e_n), 0.0);
    for (std::int64_t t = 0; t < ctx; ++t) {
      const double p = score[std::size_t(t)] / denom;
      for (std::int64_t g = 0; g < g_n; ++g) weight[std::size_t(g * e_n + vc[t * g_n + g])] += p;
    }
    double* o = out.data() + bh * d;
    for (std::int64_t g = 0; g < g_n; ++g)
      for (std::int64_t e = 0; e < e_n; ++e) {
        const double w = weight[std::size_t(g * e_n + e)];
        if (w == 0) continue;
        const float* cw = kv.entry_ptr(false, kvh, g, 0, e);
        for (std::int64_t j = 0; j < v; ++j) o[g * v + j] += w * double(cw[j]);
      }
  });
  return out;
}

OutputCheck check_half_output(const std::uint16_t* y, const std::vector<double>& ref,
                              double max_rel, const std::vector<std::size_t>& y_index) {
  OutputCheck c;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double v = half_bits_to_float(y[y_index.empty() ? i : y_index[i]]), r = ref[i];
    if (!std::isfinite(v)) c.finite = false;
    num += (v - r) * (v - r);
    den += r * r;
  }
  c.rel_error = std::sqrt(num / std::max(den, 1e-300));
  c.ok = c.finite && c.rel_error <= max_rel;
  if (!c.ok) {
    std::ostringstream os;
    os << (c.finite ? "relative L2 error " : "non-finite output, relative L2 error ") << c.rel_error
       << " (limit " << max_rel << ")";
    c.detail = os.str();
  }
  return c;
}

std::vector<std::int64_t> sampled_tokens(std::int64_t m, std::int64_t count) {
  std::vector<std::int64_t> out;
  if (m <= 0) return out;
  const std::int64_t s = std::max<std::int64_t>(1, std::min(m, count));
  const std::int64_t stride = m / s;
  for (std::int64_t j = 0; j < s; ++j) out.push_back(j * stride + (j * 13) % stride);
  out.back() = m - 1;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace vqt::tuner
