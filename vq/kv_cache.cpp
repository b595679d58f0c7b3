#include "vq/kv_cache.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>

#include "vq/error.hpp"

namespace vqt {

void check_kv_config(const VqConfig& c, std::int64_t head_dim) {
  const std::string who = "KV cache VQ config " + c.describe();
  auto fail = [&](const std::string& msg) { throw InputError(who + ": " + msg); };
  try {
    c.validate();
  } catch (const InputError& e) {
    fail(e.what());
  }
  if (c.scope != Scope::per_head_group) fail("needs per_head_group scope (e.g. cq-4, cq-2)");
  if (c.index_bits > 8) fail("needs b <= 8 (codes are stored as bytes)");
  if (c.lattice_entries > 0) fail("lattice tables are not supported for KV caches");
  if (head_dim <= 0 || head_dim % c.channel_group != 0)
    fail("channel group " + std::to_string(c.channel_group) + " does not divide head_dim " +
         std::to_string(head_dim));
}

void KvCacheVq::check_consistent() const {
  check_kv_config(config, head_dim);
  if (batch <= 0 || kv_heads <= 0 || context <= 0)
    throw InputError("KV cache: batch, kv_heads and context must be positive");
  const auto n_codes = std::size_t(batch * kv_heads * context * groups() * config.residuals);
  const auto n_cb = std::size_t(kv_heads * codebooks_per_head() * config.residuals *
                                config.entries() * config.vec_size);
  if (k_codes.size() != n_codes || v_codes.size() != n_codes)
    throw InputError("KV cache: expected " + std::to_string(n_codes) + " codes for K and V, got " +
                     std::to_string(k_codes.size()) + " and " + std::to_string(v_codes.size()));
  if (k_codebooks.size() != n_cb || v_codebooks.size() != n_cb)
    throw InputError("KV cache: expected " + std::to_string(n_cb) + " codebook values for K and V");
  const unsigned limit = 1u << config.index_bits;
  for (const auto* codes : {&k_codes, &v_codes})
    for (auto x : *codes)
      if (x >= limit)
        throw InputError("KV cache: code " + std::to_string(x) +
                         " does not fit in b=" + std::to_string(config.index_bits) + " bits");
}

namespace {

// Quantizes the (head, channel group) instance `inst` of K or V into codes_out / cb_out.
void quantize_instance(const KvCacheVq& kv, const float* x, const QuantizeOptions& opt,
                       std::uint64_t side, std::int64_t inst, int threads,
                       std::vector<std::uint8_t>& codes_out, std::vector<float>& cb_out) {
  const auto& c = kv.config;
  const int v = c.vec_size, r = c.residuals;
  const std::int64_t per_group = c.channel_group / v;  // vectors per token in one group
  const std::int64_t n = kv.batch * kv.context * per_group;
  const std::int64_t k = c.entries();
  const std::int64_t h = inst / kv.codebooks_per_head(), cg = inst % kv.codebooks_per_head();
  std::vector<float> res(std::size_t(n * v));
  std::vector<std::uint16_t> codes(std::size_t(n * r));
  // Gather vectors (b, t, g in group) in that order.
  std::int64_t i = 0;
  for (std::int64_t b = 0; b < kv.batch; ++b)
    for (std::int64_t t = 0; t < kv.context; ++t) {
      const float* row = x + ((b * kv.kv_heads + h) * kv.context + t) * kv.head_dim;
      for (std::int64_t g = 0; g < per_group; ++g, ++i) {
        const float* src = row + cg * c.channel_group + g * v;
        std::copy(src, src + v, res.begin() + i * v);
      }
    }
  residual_vq(res.data(), n, v, k, r, false, opt, (side << 48) ^ std::uint64_t(inst), threads,
              cb_out.data() + inst * r * k * v, codes.data());
  i = 0;
  for (std::int64_t b = 0; b < kv.batch; ++b)
    for (std::int64_t t = 0; t < kv.context; ++t)
      for (std::int64_t g = 0; g < per_group; ++g, ++i)
        for (int l = 0; l < r; ++l) {
          const std::int64_t gg = cg * per_group + g;
          codes_out[std::size_t((((b * kv.kv_heads + h) * kv.context + t) * kv.groups() + gg) * r +
                                l)] = std::uint8_t(codes[std::size_t(i * r + l)]);
        }
}

// All instances of K (side 1) or V (side 2): spread over opt.threads threads when there are
// several (each instance is independent and writes disjoint outputs), else threads inside.
void quantize_side(const KvCacheVq& kv, const float* x, const QuantizeOptions& opt,
                   std::uint64_t side, std::vector<std::uint8_t>& codes_out,
                   std::vector<float>& cb_out) {
  const std::int64_t inst = kv.kv_heads * kv.codebooks_per_head();
  const int threads = opt.threads;
  if (inst == 1 || threads == 1) {
    for (std::int64_t i = 0; i < inst; ++i)
      quantize_instance(kv, x, opt, side, i, threads, codes_out, cb_out);
    return;
  }
  std::exception_ptr failure;
  std::mutex mu;
  auto work = [&](int w) {
    try {
      for (std::int64_t i = w; i < inst; i += threads)
        quantize_instance(kv, x, opt, side, i, 1, codes_out, cb_out);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(work, w);
  work(0);
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

KvCacheVq quantize_kv_cache(const VqConfig& config, const float* k, const float* v,
                            std::int64_t batch, std::int64_t kv_heads, std::int64_t context,
                            std::int64_t head_dim, const QuantizeOptions& opt) {
  check_kv_config(config, head_dim);
  if (batch <= 0 || kv_heads <= 0 || context <= 0)
    throw InputError("KV cache: batch, kv_heads and context must be positive");
  if (opt.max_train_vectors < 1 || opt.lloyd_iterations < 0 || opt.threads < 1)
    throw InputError("KV cache quantizer: max_train_vectors and threads must be >= 1");
  const std::int64_t elems = batch * kv_heads * context * head_dim;
  for (const float* x : {k, v})
    for (std::int64_t i = 0; i < elems; ++i)
      if (!std::isfinite(x[i]))
        throw InputError(std::string("KV cache quantizer: ") + (x == k ? "key" : "value") +
                         " element " + std::to_string(i) + " is not finite");
  KvCacheVq kv;
  kv.config = config;
  kv.batch = batch;
  kv.kv_heads = kv_heads;
  kv.context = context;
  kv.head_dim = head_dim;
  const auto n_codes = std::size_t(batch * kv_heads * context * kv.groups() * config.residuals);
  const auto n_cb = std::size_t(kv_heads * kv.codebooks_per_head() * config.residuals *
                                config.entries() * config.vec_size);
  kv.k_codes.assign(n_codes, 0);
  kv.v_codes.assign(n_codes, 0);
  kv.k_codebooks.assign(n_cb, 0.0f);
  kv.v_codebooks.assign(n_cb, 0.0f);
  quantize_side(kv, k, opt, 1, kv.k_codes, kv.k_codebooks);
  quantize_side(kv, v, opt, 2, kv.v_codes, kv.v_codebooks);
  return kv;
}

std::vector<std::uint16_t> kv_codes_u16(const KvCacheVq& kv, bool keys) {
  const auto& c = keys ? kv.k_codes : kv.v_codes;
  return std::vector<std::uint16_t>(c.begin(), c.end());
}

std::vector<float> dequantize_kv(const KvCacheVq& kv, bool keys) {
  const int v = kv.config.vec_size, r = kv.config.residuals;
  std::vector<float> out(std::size_t(kv.batch * kv.kv_heads * kv.context * kv.head_dim));
  std::size_t at = 0;
  for (std::int64_t b = 0; b < kv.batch; ++b)
    for (std::int64_t h = 0; h < kv.kv_heads; ++h)
      for (std::int64_t t = 0; t < kv.context; ++t)
        for (std::int64_t g = 0; g < kv.groups(); ++g) {
          const std::int64_t cg = g * v / kv.config.channel_group;
          float* o = out.data() + at;
          for (int j = 0; j < v; ++j) o[j] = 0.0f;
          for (int l = 0; l < r; ++l) {
            const float* e = kv.entry_ptr(keys, h, cg, l, kv.code(keys, b, h, t, g, l));
            for (int j = 0; j < v; ++j) o[j] += e[j];
          }
          at += std::size_t(v);
        }
  return out;
}

IndexHistogram kv_histogram(const KvCacheVq& kv) {
  IndexHistogram h;
  h.levels = kv.config.residuals;
  h.entries = kv.config.entries();
  h.counts.assign(std::size_t(h.levels), std::vector<std::uint64_t>(std::size_t(h.entries), 0));
  for (const auto* codes : {&kv.k_codes, &kv.v_codes})
    for (std::size_t i = 0; i < codes->size(); ++i)
      ++h.counts[i % std::size_t(h.levels)][(*codes)[i]];
  return h;
}

void reorder_kv_hottest_first(KvCacheVq& kv) {
  kv.check_consistent();
  const int v = kv.config.vec_size, r = kv.config.residuals;
  const std::int64_t k = kv.config.entries();
  const std::int64_t inst = kv.kv_heads * kv.codebooks_per_head();
  for (int side = 0; side < 2; ++side) {
    auto& codes = side == 0 ? kv.k_codes : kv.v_codes;
    auto& cbs = side == 0 ? kv.k_codebooks : kv.v_codebooks;
    auto instance_of = [&](std::size_t code_pos) {
      const std::int64_t vec = std::int64_t(code_pos) / r;
      const std::int64_t g = vec % kv.groups();
      const std::int64_t h = (vec / kv.groups() / kv.context) % kv.kv_heads;
      return h * kv.codebooks_per_head() + g * v / kv.config.channel_group;
    };
    std::vector<std::uint64_t> counts(std::size_t(inst * r * k), 0);
    for (std::size_t p = 0; p < codes.size(); ++p)
      ++counts[std::size_t((instance_of(p) * r + std::int64_t(p % r)) * k + codes[p])];
    std::vector<std::uint8_t> inverse(std::size_t(inst * r * k));
    std::vector<float> tmp(std::size_t(k * v));
    for (std::int64_t il = 0; il < inst * r; ++il) {
      std::vector<std::uint32_t> perm(static_cast<std::size_t>(k));
      std::iota(perm.begin(), perm.end(), 0u);
      const std::uint64_t* cnt = counts.data() + il * k;
      std::stable_sort(perm.begin(), perm.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return cnt[a] > cnt[b]; });
      float* cb = cbs.data() + il * k * v;
      for (std::int64_t e = 0; e < k; ++e) {
        inverse[std::size_t(il * k + perm[std::size_t(e)])] = std::uint8_t(e);
        std::copy(cb + perm[std::size_t(e)] * v, cb + perm[std::size_t(e)] * v + v,
                  tmp.begin() + e * v);
      }
      std::copy(tmp.begin(), tmp.end(), cb);
    }
    for (std::size_t p = 0; p < codes.size(); ++p)
      codes[p] = inverse[std::size_t((instance_of(p) * r + std::int64_t(p % r)) * k + codes[p])];
  }
}

}  // namespace vqt
