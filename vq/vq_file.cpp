// VQ tensors <-> safetensors (layout in vq/safetensors.hpp).
#include <cstring>
#include <string>

#include "vq/error.hpp"
#include "vq/half.hpp"
#include "vq/packing.hpp"
#include "vq/reorder.hpp"
#include "vq/safetensors.hpp"

namespace vqt {

namespace {

template <typename T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

Scope parse_scope(const std::string& s, const std::string& who) {
  if (s == "per_tensor") return Scope::per_tensor;
  if (s == "per_tile") return Scope::per_tile;
  if (s == "per_head_group") return Scope::per_head_group;
  throw InputError(who + ": vqtune.scope '" + s +
                   "' is not per_tensor, per_tile or per_head_group");
}

}  // namespace

void write_vq_safetensors(const std::string& path, const VqTensor& t,
                          const IndexHistogram* histogram, const VqWriteOptions& opt) {
  t.check_consistent();
  const auto& c = t.config;
  const std::int64_t r = c.residuals, stored = c.stored_entries();
  std::vector<SafetensorsBlob> blobs;
  if (opt.packed_codes) {
    const auto packed = pack_indices(t.codes.data(), std::int64_t(t.codes.size()), c.index_bits);
    blobs.push_back({opt.name + ".codes", "U8", {std::int64_t(packed.size())}, raw_bytes(packed)});
  } else {
    blobs.push_back(
        {opt.name + ".codes", "U16", {t.rows, t.groups_per_row(), r}, raw_bytes(t.codes)});
  }
  SafetensorsBlob cb{opt.name + ".codebooks", "F32", {t.instances(), r, stored, c.vec_size}, {}};
  if (opt.fp16_codebooks) {
    std::vector<std::uint16_t> h(t.codebooks.size());
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = float_to_half_bits(t.codebooks[i]);
    cb.dtype = "F16";
    cb.bytes = raw_bytes(h);
  } else {
    cb.bytes = raw_bytes(t.codebooks);
  }
  blobs.push_back(std::move(cb));
  if (histogram) {
    if (histogram->levels != c.residuals || histogram->entries != stored ||
        histogram->counts.size() != std::size_t(r))
      throw InputError(path + ": histogram " + std::to_string(histogram->levels) + "x" +
                       std::to_string(histogram->entries) + " does not match the tensor's " +
                       std::to_string(r) + " levels x " + std::to_string(stored) + " entries");
    std::vector<std::uint64_t> flat;
    for (const auto& level : histogram->counts) {
      if (level.size() != std::size_t(stored))
        throw InputError(path + ": histogram level has the wrong number of entries");
      flat.insert(flat.end(), level.begin(), level.end());
    }
    blobs.push_back({opt.name + ".histogram", "U64", {r, stored}, raw_bytes(flat)});
  }
  const std::map<std::string, std::string> meta = {
      {"vqtune.format", "1"},
      {"vqtune.config", c.key()},
      {"vqtune.name", c.name},
      {"vqtune.v", std::to_string(c.vec_size)},
      {"vqtune.b", std::to_string(c.index_bits)},
      {"vqtune.r", std::to_string(c.residuals)},
      {"vqtune.scope", to_string(c.scope)},
      {"vqtune.tile_rows", std::to_string(c.tile_rows)},
      {"vqtune.tile_cols", std::to_string(c.tile_cols)},
      {"vqtune.channel_group", std::to_string(c.channel_group)},
      {"vqtune.lattice_entries", std::to_string(c.lattice_entries)},
      {"vqtune.rows", std::to_string(t.rows)},
      {"vqtune.cols", std::to_string(t.cols)},
  };
  write_safetensors(path, blobs, meta);
}

namespace {

// The header of a VQ file, checked: metadata, config, and every tensor's dtype and shape.
struct CheckedHeader {
  SafetensorsFile file;
  VqFileInfo info;
};

CheckedHeader check_vq_header(const std::string& path, const std::string& name) {
  CheckedHeader out{read_safetensors(path), {}};
  const SafetensorsFile& f = out.file;
  auto fail = [&](const std::string& msg) -> InputError { return InputError(path + ": " + msg); };
  auto meta = [&](const std::string& key) -> const std::string& {
    auto it = f.metadata.find(key);
    if (it == f.metadata.end())
      throw fail("__metadata__ has no '" + key + "' (not a vqtune VQ file?)");
    return it->second;
  };
  auto meta_int = [&](const std::string& key) -> std::int64_t {
    const std::string& s = meta(key);
    std::size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != s.size() || x < 0 || x > (1ll << 40))
      throw fail("__metadata__ '" + key + "' = '" + s + "' is not a non-negative integer");
    return x;
  };
  if (meta("vqtune.format") != "1")
    throw fail("vqtune.format '" + meta("vqtune.format") + "' is not supported (expected 1)");
  VqConfig c;
  c.name = meta("vqtune.name");
  c.vec_size = int(meta_int("vqtune.v"));
  c.index_bits = int(meta_int("vqtune.b"));
  c.residuals = int(meta_int("vqtune.r"));
  c.scope = parse_scope(meta("vqtune.scope"), path);
  c.tile_rows = int(meta_int("vqtune.tile_rows"));
  c.tile_cols = int(meta_int("vqtune.tile_cols"));
  c.channel_group = int(meta_int("vqtune.channel_group"));
  c.lattice_entries = int(meta_int("vqtune.lattice_entries"));
  const std::int64_t rows = meta_int("vqtune.rows"), cols = meta_int("vqtune.cols");
  check_vq_shape(c, rows, cols, path + ": config");
  if (c.key() != meta("vqtune.config"))
    throw fail("vqtune.config '" + meta("vqtune.config") + "' disagrees with the config fields (" +
               c.key() + ")");

  VqTensor t;  // shape helpers only
  t.config = c;
  t.rows = rows;
  t.cols = cols;
  const std::int64_t r = c.residuals, stored = c.stored_entries();
  auto expect = [&](const std::string& tensor, const std::vector<std::string>& dtypes,
                    const std::vector<std::int64_t>& shape) -> const SafetensorsEntry& {
    const SafetensorsEntry& e = f.at(tensor);
    bool ok = false;
    std::string names;
    for (const auto& d : dtypes) {
      ok = ok || e.dtype == d;
      names += (names.empty() ? "" : " or ") + d;
    }
    if (!ok) throw fail("tensor '" + tensor + "' has dtype " + e.dtype + ", expected " + names);
    if (e.shape != shape) {
      auto str = [](const std::vector<std::int64_t>& s) {
        std::string o = "[";
        for (std::size_t i = 0; i < s.size(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
        return o + "]";
      };
      throw fail("tensor '" + tensor + "' has shape " + str(e.shape) + " but the config (" +
                 c.describe() + ", " + std::to_string(rows) + "x" + std::to_string(cols) +
                 ") needs " + str(shape));
    }
    return e;
  };
  VqFileInfo& info = out.info;
  info.config = c;
  info.rows = rows;
  info.cols = cols;
  const std::int64_t n_codes = rows * t.groups_per_row() * r;
  info.packed_codes = f.at(name + ".codes").dtype == "U8";
  if (info.packed_codes)
    expect(name + ".codes", {"U8"}, {packed_bytes(n_codes, c.index_bits)});
  else
    expect(name + ".codes", {"U16", "U8"}, {rows, t.groups_per_row(), r});
  info.fp16_codebooks =
      expect(name + ".codebooks", {"F32", "F16"}, {t.instances(), r, stored, c.vec_size}).dtype ==
      "F16";
  info.has_histogram = f.tensors.count(name + ".histogram") > 0;
  if (info.has_histogram) expect(name + ".histogram", {"U64", "I64"}, {r, stored});
  return out;
}

}  // namespace

VqFileInfo read_vq_info(const std::string& path, const std::string& name) {
  return check_vq_header(path, name).info;
}

VqFile read_vq_safetensors(const std::string& path, const std::string& name) {
  const CheckedHeader checked = check_vq_header(path, name);
  const SafetensorsFile& f = checked.file;
  const VqFileInfo& info = checked.info;
  auto fail = [&](const std::string& msg) -> InputError { return InputError(path + ": " + msg); };
  VqFile out;
  VqTensor& t = out.tensor;
  t.config = info.config;
  t.rows = info.rows;
  t.cols = info.cols;
  const VqConfig& c = t.config;
  const std::int64_t r = c.residuals, stored = c.stored_entries();
  const std::int64_t n_codes = t.rows * t.groups_per_row() * r;
  const std::string code_bytes = f.read(name + ".codes");
  if (info.packed_codes) {
    t.codes = unpack_indices(reinterpret_cast<const std::uint8_t*>(code_bytes.data()),
                             std::int64_t(code_bytes.size()), n_codes, c.index_bits);
  } else {
    t.codes.resize(code_bytes.size() / 2);
    std::memcpy(t.codes.data(), code_bytes.data(), code_bytes.size());
  }
  const std::size_t n_cb = std::size_t(t.instances() * r * stored * c.vec_size);
  t.codebooks.resize(n_cb);
  const std::string cb_bytes = f.read(name + ".codebooks");
  if (!info.fp16_codebooks) {
    std::memcpy(t.codebooks.data(), cb_bytes.data(), n_cb * 4);
  } else {
    std::vector<std::uint16_t> h(n_cb);
    std::memcpy(h.data(), cb_bytes.data(), n_cb * 2);
    for (std::size_t i = 0; i < n_cb; ++i) t.codebooks[i] = half_bits_to_float(h[i]);
  }
  if (info.has_histogram) {
    const bool is_signed = f.at(name + ".histogram").dtype == "I64";
    IndexHistogram h;
    h.levels = int(r);
    h.entries = stored;
    h.source = "file:" + path;
    h.counts.assign(std::size_t(r), std::vector<std::uint64_t>(std::size_t(stored)));
    const std::string hist_bytes = f.read(name + ".histogram");
    const char* p = hist_bytes.data();
    for (auto& level : h.counts) {
      std::memcpy(level.data(), p, level.size() * 8);
      p += level.size() * 8;
      if (is_signed)
        for (auto x : level)
          if (std::int64_t(x) < 0)
            throw fail("tensor '" + name + ".histogram' has negative counts");
    }
    out.histogram = std::move(h);
  }
  try {
    t.check_consistent();
  } catch (const InputError& e) {
    throw fail(e.what());
  }
  return out;
}

std::vector<std::string> list_vq_tensors(const std::string& path) {
  const SafetensorsFile f = read_safetensors(path);
  std::vector<std::string> names;
  const std::string suffix = ".codes";
  for (const auto& [name, e] : f.tensors)
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(name.substr(0, name.size() - suffix.size()));
  return names;  // std::map order: sorted
}

IndexHistogram histogram_from_vq_file(const std::string& path, const std::string& name) {
  VqFile f = read_vq_safetensors(path, name);
  if (f.histogram) return *f.histogram;
  reorder_hottest_first(f.tensor);
  IndexHistogram h = histogram_of(f.tensor);
  h.source = "file:" + path;
  return h;
}

}  // namespace vqt
