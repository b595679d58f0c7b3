// GemvGeometry: how the fused VQ GEMV walks the k axis, a pure function of (v, r), shared by the
// host packer (vq_device_layout.cpp) and the device code (vq_gemv_kernel.cuh).
//
// A warp owns 16 rows (one m16n8k16 A tile); lane = 4 * g + t holds rows g and g + 8. In one
// "step" the quad t = 0..3 covers step_k = 4 * ep consecutive k of each row, lane t the ep
// elements [ep * t, ep * t + ep): one codeword (v = 8, ep = 8: two mma k16 tiles), one codeword
// (v = 4, ep = 4) or two (v = 2, ep = 4). The mma's k order is permuted to match (A and B alike),
// so a codeword never has to be split across lanes. A "chunk" is the steps whose codes fill one
// 16-byte load per lane: 16 codes = steps_per_chunk x 2 rows x codewords_per_step x r levels.
#pragma once

#if defined(__CUDACC__)
#define VQT_HD __host__ __device__
#else
#define VQT_HD
#endif

namespace vqt {

struct GemvGeometry {
  int v = 8, r = 1;
  int ep = 8;               // k elements per lane and row in one step
  int cw_per_step = 1;      // codewords per lane and row in one step
  int codes_per_step = 2;   // per lane: 2 rows x cw_per_step x r
  int steps_per_chunk = 8;  // 16 / codes_per_step
  int step_k = 32;          // 4 * ep
  int chunk_k = 256;        // k covered by one chunk
  int mmas_per_step = 2;    // ep / 4 (k16 tiles; each lane feeds 4 k per tile)
};

VQT_HD constexpr GemvGeometry gemv_geometry(int v, int r) {
  GemvGeometry g{};
  g.v = v;
  g.r = r;
  g.ep = v < 4 ? 4 : v;
  g.cw_per_step = g.ep / v;
  g.codes_per_step = 2 * g.cw_per_step * r;
  g.steps_per_chunk = 16 / g.codes_per_step;
  g.step_k = 4 * g.ep;
  g.chunk_k = g.step_k * g.steps_per_chunk;
  g.mmas_per_step = g.ep / 4;
  return g;
}

// Position (0..15) of a code inside a lane's 16-code chunk.
VQT_HD constexpr int gemv_code_slot(const GemvGeometry& g, int step, int row_half, int cw,
                                    int level) {
  return ((step * 2 + row_half) * g.cw_per_step + cw) * g.r + level;
}

}  // namespace vqt
