// synthetic_histogram(): quantize a sample of synthetic weights, reorder, count; cached on disk.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "vq/histogram.hpp"
#include "vq/quantizer.hpp"
#include "vq/reorder.hpp"
#include "vq/synthetic.hpp"

namespace vqt {

namespace {

constexpr char kMagic[8] = {'V', 'Q', 'T', 'H', 'I', 'S', 'T', '\0'};
constexpr std::uint32_t kFormatVersion = 2;  // 2: source notes near-uniform histograms
constexpr double kMaxFma = 3.4e10;           // assignment budget: vectors x entries x v x r

std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : bytes) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

template <typename T>
void put(std::string& out, T x) {
  char b[sizeof(T)];
  std::memcpy(b, &x, sizeof(T));
  out.append(b, sizeof(T));
}

struct Reader {
  const std::string& s;
  std::size_t at = 0;
  bool ok = true;
  template <typename T>
  T get() {
    T x{};
    if (at + sizeof(T) > s.size()) {
      ok = false;
      return x;
    }
    std::memcpy(&x, s.data() + at, sizeof(T));
    at += sizeof(T);
    return x;
  }
  std::string str(std::size_t n) {
    if (at + n > s.size()) {
      ok = false;
      return {};
    }
    std::string r = s.substr(at, n);
    at += n;
    return r;
  }
};

std::string serialise(const std::string& key, const IndexHistogram& h) {
  std::string out(kMagic, sizeof kMagic);
  put(out, kFormatVersion);
  put(out, std::uint32_t(key.size()));
  out += key;
  put(out, std::uint32_t(h.source.size()));
  out += h.source;
  put(out, std::uint32_t(h.levels));
  put(out, std::uint64_t(h.entries));
  for (const auto& level : h.counts)
    for (auto c : level) put(out, c);
  put(out, fnv1a(out));
  return out;
}

// Returns false when the bytes are not a valid cache file for `key`.
bool deserialise(const std::string& bytes, const std::string& key, IndexHistogram* h) {
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return false;
  std::uint64_t stored_sum;
  std::memcpy(&stored_sum, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(bytes.substr(0, bytes.size() - 8)) != stored_sum) return false;
  Reader r{bytes, sizeof kMagic};
  if (r.get<std::uint32_t>() != kFormatVersion) return false;
  if (r.str(r.get<std::uint32_t>()) != key || !r.ok) return false;
  IndexHistogram out;
  out.source = r.str(r.get<std::uint32_t>());
  out.levels = int(r.get<std::uint32_t>());
  out.entries = std::int64_t(r.get<std::uint64_t>());
  if (!r.ok || out.levels < 1 || out.levels > 4 || out.entries < 1 || out.entries > 65536)
    return false;
  if (bytes.size() - 8 - r.at != std::size_t(out.levels) * std::size_t(out.entries) * 8)
    return false;
  out.counts.assign(std::size_t(out.levels), std::vector<std::uint64_t>(std::size_t(out.entries)));
  for (auto& level : out.counts)
    for (auto& c : level) c = r.get<std::uint64_t>();
  if (!r.ok) return false;
  *h = std::move(out);
  return true;
}

std::string file_name(const std::string& key_text, std::int64_t rows, std::int64_t cols,
                      std::uint64_t seed) {
  std::string k = key_text;
  for (auto& ch : k)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-') ch = '_';
  std::ostringstream os;
  os << "vqhist-v" << kFormatVersion << "-" << k << "-" << rows << "x" << cols << "-s" << seed
     << ".bin";
  return os.str();
}

IndexHistogram compute(const VqConfig& c, std::int64_t rows, std::int64_t cols,
                       std::uint64_t seed) {
  std::int64_t rs = rows, cs = cols, row_step = 1;
  if (c.scope == Scope::per_tile) {
    row_step = c.tile_rows;
    rs = c.tile_rows * std::min(rows / c.tile_rows, std::max<std::int64_t>(1, 1024 / c.tile_rows));
    cs = c.tile_cols * std::min(cols / c.tile_cols, std::max<std::int64_t>(1, 1024 / c.tile_cols));
  } else {
    rs = std::min<std::int64_t>(rows, 1024);
  }
  const double fma_per_row = double(cs / c.vec_size) * double(c.stored_entries()) *
                             double(c.vec_size) * double(c.residuals);
  const auto budget_rows = std::int64_t(kMaxFma / fma_per_row);
  if (rs > budget_rows) rs = std::max(row_step, budget_rows / row_step * row_step);
  std::vector<float> w = c.scope == Scope::per_head_group
                             ? synthetic_kv(1, 1, rs, cs, /*keys=*/true, seed)
                             : synthetic_weights(rs, cs, seed);
  QuantizeOptions opt;
  opt.seed = seed;
  auto q = quantize(c, w.data(), rs, cs, opt);
  reorder_hottest_first(q.tensor);
  IndexHistogram h = histogram_of(q.tensor);
  std::ostringstream src;
  src << "synthetic:" << rows << "x" << cols << ":seed=" << seed << ":sample=" << rs << "x" << cs;
  if (c.stored_entries() >= q.train_vectors) src << ":near-uniform(entries>=vectors)";
  h.source = src.str();
  return h;
}

}  // namespace

IndexHistogram synthetic_histogram(const VqConfig& config, std::int64_t rows, std::int64_t cols,
                                   std::uint64_t seed, const std::string& cache_dir) {
  check_vq_shape(config, rows, cols,
                 "synthetic histogram " + std::to_string(rows) + "x" + std::to_string(cols));
  std::ostringstream key;
  key << config.key() << "|" << rows << "x" << cols << "|seed=" << seed;
  namespace fs = std::filesystem;
  fs::path path;
  if (!cache_dir.empty()) {
    path = fs::path(cache_dir) / file_name(config.key(), rows, cols, seed);
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream buf;
      buf << in.rdbuf();
      IndexHistogram h;
      if (deserialise(buf.str(), key.str(), &h)) return h;
    }
  }
  IndexHistogram h = compute(config, rows, cols, seed);
  if (!cache_dir.empty()) {
    std::error_code ec;
    fs::create_directories(cache_dir, ec);
    const fs::path tmp = path.string() + ".tmp" + std::to_string(std::random_device{}());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      const std::string bytes = serialise(key.str(), h);
      if (out) out.write(bytes.data(), std::streamsize(bytes.size()));
      if (!out) {
        fs::remove(tmp, ec);
        return h;
      }
    }
    fs::rename(tmp, path, ec);  // atomic: readers see the old file or the whole new one
    if (ec) fs::remove(tmp, ec);
  }
  return h;
}

}  // namespace vqt
