#include "vq/vq_config.hpp"

#include <cstdio>
#include <sstream>

#include "vq/error.hpp"

namespace vqt {

const char* to_string(Scope s) {
  switch (s) {
    case Scope::per_tensor:
      return "per_tensor";
    case Scope::per_tile:
      return "per_tile";
    case Scope::per_head_group:
      return "per_head_group";
  }
  return "?";
}

static bool is_pow2(int x) {
  return x > 0 && (x & (x - 1)) == 0;
}

void VqConfig::validate() const {
  const std::string who = name.empty() ? std::string("VQ config") : name;
  auto fail = [&](const std::string& msg) { throw InputError(who + ": " + msg); };
  if (!is_pow2(vec_size) || vec_size > 16)
    fail("vector size v=" + std::to_string(vec_size) + " must be a power of two in 1..16");
  if (index_bits < 1 || index_bits > 16)
    fail("index bits b=" + std::to_string(index_bits) + " must be in 1..16");
  if (residuals < 1 || residuals > 4)
    fail("residual levels r=" + std::to_string(residuals) + " must be in 1..4");
  if (lattice_entries != 0) {
    if (!is_pow2(lattice_entries) || lattice_entries >= (1 << index_bits))
      fail("lattice table of " + std::to_string(lattice_entries) +
           " entries must be a power of two below 2^b");
  }
  switch (scope) {
    case Scope::per_tensor:
      if (tile_rows || tile_cols || channel_group)
        fail("per_tensor scope takes no tile or channel group");
      break;
    case Scope::per_tile:
      if (tile_rows <= 0 || tile_cols <= 0)
        fail("per_tile scope needs positive tile sizes, got " + std::to_string(tile_rows) + "x" +
             std::to_string(tile_cols));
      if (tile_cols % vec_size != 0)
        fail("tile width " + std::to_string(tile_cols) +
             " is not a multiple of v=" + std::to_string(vec_size));
      break;
    case Scope::per_head_group:
      if (channel_group <= 0 || channel_group % vec_size != 0)
        fail("per_head_group scope needs a channel group that is a positive multiple of v=" +
             std::to_string(vec_size) + ", got " + std::to_string(channel_group));
      break;
  }
}

std::string VqConfig::describe() const {
  std::ostringstream os;
  if (!name.empty() && name.rfind("vq:", 0) != 0) os << name << " = ";
  os << "VQ<" << vec_size << "," << index_bits << "," << residuals << "> " << to_string(scope);
  if (scope == Scope::per_tile) os << " " << tile_rows << "x" << tile_cols;
  if (scope == Scope::per_head_group) os << " group=" << channel_group;
  if (lattice_entries) os << " lattice=" << lattice_entries;
  return os.str();
}

std::string VqConfig::key() const {
  std::ostringstream os;
  os << "v" << vec_size << "b" << index_bits << "r" << residuals << ":" << to_string(scope);
  if (scope == Scope::per_tile) os << ":" << tile_rows << "x" << tile_cols;
  if (scope == Scope::per_head_group) os << ":g" << channel_group;
  if (lattice_entries) os << ":lat" << lattice_entries;
  return os.str();
}

bool operator==(const VqConfig& a, const VqConfig& b) {
  return a.key() == b.key();
}

static VqConfig make(const char* name, int v, int b, int r, Scope s = Scope::per_tensor, int tr = 0,
                     int tc = 0, int group = 0, int lattice = 0) {
  VqConfig c;
  c.name = name;
  c.vec_size = v;
  c.index_bits = b;
  c.residuals = r;
  c.scope = s;
  c.tile_rows = tr;
  c.tile_cols = tc;
  c.channel_group = group;
  c.lattice_entries = lattice;
  return c;
}

const std::vector<VqPreset>& vq_presets() {
  static const std::vector<VqPreset> presets = {
      {"quip#-4", make("quip#-4", 8, 16, 2, Scope::per_tensor, 0, 0, 0, 256),
       "QuIP# E8P-style lattice codebook, 2 residual levels (Tseng et al., ICML 2024)"},
      {"aqlm-3", make("aqlm-3", 8, 12, 2),
       "AQLM additive codebooks (Egiazarian et al., ICML 2024)"},
      {"gptvq-2", make("gptvq-2", 4, 8, 1, Scope::per_tile, 256, 256),
       "GPTVQ, one codebook per 256x256 weight tile (van Baalen et al., 2024)"},
      {"cq-4", make("cq-4", 2, 8, 1, Scope::per_head_group, 0, 0, 2),
       "Coupled Quantization of the KV cache, 2 channels coupled (Zhang et al., 2024)"},
      {"cq-2", make("cq-2", 4, 8, 1, Scope::per_head_group, 0, 0, 4),
       "Coupled Quantization of the KV cache, 4 channels coupled (Zhang et al., 2024)"},
      {"aqlm-2x8", make("aqlm-2x8", 8, 8, 2),
       "AQLM 2 codebooks of 2^8 entries (Egiazarian et al.)"},
      {"aqlm-1x16", make("aqlm-1x16", 8, 16, 1),
       "AQLM 1 codebook of 2^16 entries (Egiazarian et al.)"},
  };
  return presets;
}

static std::string accepted_list() {
  std::string s;
  for (const auto& p : vq_presets()) s += p.name + ", ";
  return s + "or vq:v,b,r[:tile=RxC|:group=G]";
}

VqConfig parse_vq(const std::string& text, const std::string& flag) {
  for (const auto& p : vq_presets())
    if (p.name == text) return p.config;
  auto bad = [&](const std::string& why) -> InputError {
    return InputError(flag + ": '" + text + "' " + why + "; accepted: " + accepted_list());
  };
  if (text.rfind("vq:", 0) != 0) throw bad("is not a known VQ config");
  std::string body = text.substr(3), extra;
  if (auto colon = body.find(':'); colon != std::string::npos) {
    extra = body.substr(colon + 1);
    body = body.substr(0, colon);
  }
  int vals[3];
  std::istringstream is(body);
  for (int i = 0; i < 3; ++i) {
    long long x;
    if (!(is >> x) || x < 0 || x > 1 << 20) throw bad("needs three integers v,b,r");
    vals[i] = int(x);
    if (i < 2 && is.get() != ',') throw bad("needs three integers v,b,r");
  }
  if (is.peek() != EOF) throw bad("has trailing characters");
  VqConfig c = make("", vals[0], vals[1], vals[2]);
  c.name = text;
  if (!extra.empty()) {
    int a = 0, b = 0;
    char x = 0, tail = 0;
    if (std::sscanf(extra.c_str(), "tile=%d%c%d%c", &a, &x, &b, &tail) == 3 && x == 'x') {
      c.scope = Scope::per_tile;
      c.tile_rows = a;
      c.tile_cols = b;
    } else if (std::sscanf(extra.c_str(), "group=%d%c", &a, &tail) == 1) {
      c.scope = Scope::per_head_group;
      c.channel_group = a;
    } else {
      throw bad("has an unknown scope suffix '" + extra + "'");
    }
  }
  try {
    c.validate();
  } catch (const InputError& e) {
    throw InputError(flag + ": " + e.what());
  }
  return c;
}

}  // namespace vqt
