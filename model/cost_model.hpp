// The cost model: for a Problem on a GPU and one Candidate, bytes per memory level, FLOPs,
// occupancy, codebook tier hit fractions, bank conflicts, L1/L2 hits of global lookups, waves,
// launch and reduction cost, the predicted time and the bound. Each implemented kernel family has
// its own model of how it runs (model/detail/gemv_model.hpp, gemm_model.hpp,
// attention_model.hpp), built from the terms of model/terms.hpp and combined by smooth maxima of
// the overlapping limits plus the parts that do not overlap (fills, split-k reduction, launch).
//
// prepare() does everything that does not depend on the candidate once (histogram CDF, byte and
// FLOP counts); predict() is then a few dozen flops with no allocation. See docs/model.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/candidate.hpp"
#include "model/coefficients.hpp"
#include "model/gpu_spec.hpp"
#include "model/occupancy.hpp"
#include "model/problem.hpp"

namespace vqt {

enum class Bound { hbm, l2, smem, compute, launch };
const char* to_string(Bound b);

struct PreparedProblem {
  Problem problem;
  GpuSpec spec;
  ModelCoefficients coef;
  std::vector<double> cdf;        // sorted CDF of one codebook's lookups, size = entries
  std::vector<double> sq_prefix;  // sq_prefix[i] = sum_{j<i} p_j^2, size = entries + 1
  std::string histogram_source;   // "file:...", "synthetic:...", "zipf:..."

  // Derived once.
  std::int64_t entries = 0;  // stored entries per codebook
  int vec_size = 0;
  int levels = 0;
  int row_bytes = 0;          // v x 2 (fp16)
  int codebook_groups = 1;    // attention: channel groups per head (codebooks per K or V)
  double lookups = 0;         // codebook lookups of one pass over the weights / KV cache
  double codes_bytes = 0;     // packed codes
  double codebook_bytes = 0;  // all codebooks, all levels and scope instances
  double activation_bytes = 0;
  double output_bytes = 0;
  double compulsory_hbm_bytes = 0;
  double fma_ops = 0;         // CUDA-core FMAs (gemv, attention)
  double tensor_flops = 0;    // gemm
  double live_codebooks = 0;  // codebooks concurrently live across the GPU (for L2 capacity)
  double ideal_s = 0;         // compulsory bytes / HBM bandwidth (and FLOPs / peak), no efficiency

  // Spec x coefficient products, precomputed so predict() multiplies instead of dividing.
  struct Rates {
    double l2_s_per_byte = 0;           // 1 / (L2 bandwidth x efficiency)
    double hbm_bytes_per_s = 0;         // HBM bandwidth x efficiency
    double l1_entries_per_byte = 0;     // L1 capacity efficiency / row bytes
    double l2_entries = 0;              // L2 rows available per live codebook
    double dequant_ops_per_lookup = 0;  // unpack + v x dequant ops
    double fill_s_per_byte_per_sm = 0;  // SMs / (L2 bandwidth x efficiency)
    double inv_ideal_wavefronts = 0;    // 1 / smem_ideal_wavefronts(row bytes)
  } rates;
  int m32 = 0, n32 = 0, k32 = 0;   // gemv / gemm sizes (validated <= 2^24)
  OccupancyTable occupancy_table;  // the spec's occupancy rules, register/warp limits tabulated
};

// cdf: sorted CDF (IndexHistogram::sorted_cdf()), size = problem.vq.stored_entries(). Validates
// the problem and the coefficients (InputError).
PreparedProblem prepare(const Problem& problem, const GpuSpec& spec, const ModelCoefficients& coef,
                        std::vector<double> cdf, std::string histogram_source);

// The same operation on uncompressed fp16 weights (gemv/gemm) or an fp16 KV cache (attention),
// e.g. cuBLAS: bytes / achievable HBM bandwidth, or FLOPs / achievable tensor FLOP/s for gemm,
// whichever is larger, plus one launch. The baseline speedups are reported against.
double dense_fp16_time_s(const PreparedProblem& p);

// A Zipf(s) sorted CDF over `entries` entries: a stand-in histogram for tests and benchmarks.
std::vector<double> zipf_sorted_cdf(std::int64_t entries, double exponent);

// Filled completely by predict(); no default member initialisers because zeroing ~300 bytes per
// call is a measurable share of predict() (value-initialise, Prediction{}, for zeros).
struct Prediction {
  bool valid;
  double time_s;
  double ideal_s;
  Bound bound;
  // Bytes per level.
  double hbm_bytes;
  double l2_bytes;
  double l1_sectors;       // 32-byte sectors of global lookups through L1
  double smem_wavefronts;  // shared-memory wavefronts (codebook lookups + tile staging)
  double reg_lookups;      // lookups served from registers
  // FLOPs.
  double cuda_core_ops;  // lane operations (FMA = 1)
  double tensor_flops;
  // Tiers and caches.
  double frac_reg, frac_smem, frac_global;
  double l1_hit, l2_hit;
  double conflict_factor;  // shared-memory wavefronts per request / conflict-free ones
  // Launch geometry.
  std::int64_t blocks;
  int regs_per_thread;
  int smem_bytes_per_block;
  Occupancy occ;
  double waves;     // ceil(blocks / (SMs x blocks per SM))
  double wave_eff;  // SM balance: blocks / (ceil(blocks / SMs) x SMs)
  // Time per term, seconds.
  double hbm_s, l2_s, smem_s, compute_s, latency_s;
  double fill_s, reduction_s, launch_s, second_kernel_s;
  // Fused GEMV only (0 elsewhere): L1 data-pipe wavefronts of all its loads (codebook lookups in
  // shared memory and through L1, codes, activations), the pipe that bounds it when the codebook
  // is in shared memory (bench/results/profile-h100-2026-11-22-s6.md).
  double lsu_wavefronts;
};

// Empty string when the candidate can run on the GPU, else the first reason it cannot.
std::string can_run(const PreparedProblem& p, const Candidate& c);
// The same for a bare problem on a GPU (prepares it with a uniform histogram; placement validity
// does not depend on the histogram). Throws InputError when the problem itself is invalid.
std::string can_run(const Problem& problem, const Candidate& c, const GpuSpec& spec);
// Fast form for enumeration: true when it can run.
bool runnable(const PreparedProblem& p, const Candidate& c);

// Prediction of one candidate; valid = false (time = +inf) when it cannot run.
Prediction predict(const PreparedProblem& p, const Candidate& c);

}  // namespace vqt
