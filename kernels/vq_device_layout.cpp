#include "kernels/vq_device_layout.hpp"

#include "vq/error.hpp"
#include "vq/half.hpp"

namespace vqt {

GemvFormat gemv_format_of(const VqTensor& w) {
  const VqConfig& c = w.config;
  const std::string who = c.name.empty() ? c.key() : c.name;
  auto fail = [&](const std::string& why) { throw InputError("gemv: " + who + ": " + why); };
  if (c.vec_size != 2 && c.vec_size != 4 && c.vec_size != 8)
    fail("vector size v=" + std::to_string(c.vec_size) + " not supported (2, 4 or 8)");
  if (c.index_bits < 8 || c.index_bits > 16)
    fail("index bits b=" + std::to_string(c.index_bits) + " not supported (8..16)");
  if (c.residuals < 1 || c.residuals > 2)
    fail("residual levels r=" + std::to_string(c.residuals) + " not supported (1 or 2)");
  if (c.scope == Scope::per_head_group) fail("per_head_group scope is a KV-cache format");
  if (c.lattice_entries != 0 && (c.lattice_entries != 256 || c.vec_size != 8 || c.index_bits != 16))
    fail("lattice tables are supported as 256 rows, v=8, b=16 (quip#-4)");
  GemvFormat f;
  f.vec_size = c.vec_size;
  f.index_bits = c.index_bits;
  f.residuals = c.residuals;
  f.lattice_entries = c.lattice_entries;
  if (c.scope == Scope::per_tile) {
    f.tile_rows = c.tile_rows;
    f.tile_cols = c.tile_cols;
  }
  f.rows = w.rows;
  f.cols = w.cols;
  return f;
}

GemvLayout gemv_layout(const GemvFormat& f) {
  if (f.vec_size != 2 && f.vec_size != 4 && f.vec_size != 8)
    throw InputError("gemv: vector size must be 2, 4 or 8");
  if (f.residuals < 1 || f.residuals > 2) throw InputError("gemv: r must be 1 or 2");
  GemvLayout l;
  l.geo = gemv_geometry(f.vec_size, f.residuals);
  if (f.rows <= 0 || f.cols <= 0 || f.cols % l.geo.chunk_k != 0)
    throw InputError("gemv: cols=" + std::to_string(f.cols) + " must be a positive multiple of " +
                     std::to_string(l.geo.chunk_k) + " for v=" + std::to_string(f.vec_size) +
                     ", r=" + std::to_string(f.residuals));
  l.row_tiles = (f.rows + 15) / 16;
  l.chunks = f.cols / l.geo.chunk_k;
  const std::size_t lanes = std::size_t(l.row_tiles * l.chunks) * 32;
  l.lo_bytes = lanes * 16;
  l.hi_bytes = lanes * std::size_t(f.hi_bits()) * 2;
  l.codebook_bytes = std::size_t(f.instances()) * std::size_t(f.residuals) *
                     std::size_t(f.stored_entries()) * std::size_t(f.vec_size) * 2;
  return l;
}

std::size_t GemvLayout::compulsory_bytes(int batch, const GemvFormat& f) const {
  const double code_bits =
      double(f.rows) * double(f.cols / f.vec_size) * f.residuals * f.index_bits;
  return std::size_t(code_bits / 8) + codebook_bytes +
         std::size_t(batch) * std::size_t(f.cols + f.rows) * 2;
}

std::size_t gemv_workspace_bytes(const GemvFormat& f) {
  const std::int64_t row_tiles = (f.rows + 15) / 16;
  return std::size_t(kGemvMaxBatch * row_tiles * 16) * sizeof(float) +
         std::size_t(row_tiles) * sizeof(std::uint32_t);
}

GemvHostPack pack_for_gemv(const VqTensor& w) {
  GemvHostPack p;
  p.format = gemv_format_of(w);
  p.layout = gemv_layout(p.format);
  const GemvGeometry& g = p.layout.geo;
  const int hi_bits = p.format.hi_bits();
  p.lo.assign(p.layout.lo_bytes, 0);
  p.hi.assign(p.layout.hi_bytes, 0);
  const std::int64_t chunks = p.layout.chunks;
  for (std::int64_t rt = 0; rt < p.layout.row_tiles; ++rt)
    for (std::int64_t ch = 0; ch < chunks; ++ch)
      for (int lane = 0; lane < 32; ++lane) {
        const std::size_t base = std::size_t((rt * chunks + ch) * 32 + lane);
        const int gq = lane / 4, t = lane % 4;
        for (int s = 0; s < g.steps_per_chunk; ++s)
          for (int rh = 0; rh < 2; ++rh)
            for (int cw = 0; cw < g.cw_per_step; ++cw)
              for (int l = 0; l < g.r; ++l) {
                const int q = gemv_code_slot(g, s, rh, cw, l);
                const std::int64_t row = rt * 16 + gq + 8 * rh;
                const std::int64_t k = ch * g.chunk_k + s * g.step_k + g.ep * t + cw * g.v;
                const std::uint32_t code = row < w.rows ? w.code(row, k / g.v, l) : 0u;
                p.lo[base * 16 + std::size_t(q)] = std::uint8_t(code & 0xFFu);
                if (hi_bits == 4) {
                  p.hi[base * 8 + std::size_t(q / 2)] |=
                      std::uint8_t(((code >> 8) & 0xFu) << (4 * (q % 2)));
                } else if (hi_bits == 8) {
                  p.hi[base * 16 + std::size_t(q)] = std::uint8_t(code >> 8);
                }
              }
      }
  p.codebooks.resize(w.codebooks.size());
  for (std::size_t i = 0; i < w.codebooks.size(); ++i)
    p.codebooks[i] = float_to_half_bits(w.codebooks[i]);
  return p;
}

}  // namespace vqt
