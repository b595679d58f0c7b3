// `vqtune profile`: the model's prediction of one candidate next to what the hardware counted
// (profiler/counters.hpp) and what the CUPTI timer measured, as rows of
//   level | model predicted | counted | counted/predicted
// printed as a table or JSON. Plain C++ (cpu-tested); the verb itself is cli/cmd_profile.cpp.
//
// What each row compares, for gemv (the model's Prediction of model/cost_model.hpp):
//   time                 time_s                          median of the CUPTI-timed samples
//   DRAM read bytes      hbm_bytes - output bytes        dram__bytes_read.sum
//   DRAM write bytes     output bytes                    dram__bytes_write.sum
//   L2 bytes             l2_bytes                        lts__t_bytes.sum
//   L1<->L2 bytes        l2_bytes                        lts__t_sectors_srcunit_tex.sum x 32
//   shared wavefronts    smem_wavefronts (lookups)       l1tex__data_pipe_lsu_wavefronts_mem_shared
//                                                        _op_ld (gemv; gemm, attention: loads and
//                                                        stores, their models count the staging)
//   bank-conflict factor conflict_factor (codebook       load wavefronts / (load wavefronts - load
//                        lookups)                        bank conflicts), all shared loads
//   bank conflicts       -                               l1tex__data_bank_conflicts_..._shared.sum
//   achieved occupancy   occ.occupancy x min(1, ceil(    sm__warps_active.avg.pct_of_peak_...
//                        blocks / SMs) / resident blocks)
//   L1 data-pipe         lsu_wavefronts (gemv: lookups,  l1tex__data_pipe_lsu_wavefronts.sum
//     wavefronts         codes, x; other ops: "-")
//   SM balance           1 / wave_eff: the busiest SM's  sm__cycles_active.max / .avg
//     (busiest/mean)     work over the mean SM's
// Metrics asked for by name (--metrics) follow the table as counted, without a model figure.
// gemm (fused) and attention_decode: hbm_bytes is the compulsory bytes plus split partials that
// are written once and read back once, so DRAM reads are compulsory - output + partials / 2 and
// DRAM writes output + partials / 2. gemm unfused (dequantize, then cuBLAS): writes are the output
// and the dequantized fp16 W (n x k x 2), reads the rest of hbm_bytes; the model has no shared
// memory, bank-conflict or occupancy figure for cuBLAS ("-"). The bank-conflict factor is the
// model's only where it computes one (gemv; gemm with the codebook in shared memory): attention's
// model assumes conflict-free lookups without computing them ("-").
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "model/candidate.hpp"
#include "model/cost_model.hpp"
#include "profiler/counter_metrics.hpp"

namespace vqt::cli {

struct ProfileRow {
  std::string level;  // "DRAM read bytes"
  std::string key;    // "dram_read_bytes"
  std::string unit;   // "bytes", "s", "wavefronts", "conflicts", "x", "%"
  std::optional<double> predicted;
  std::optional<double> counted;
  std::optional<double> ratio() const;  // counted / predicted when both are there, predicted != 0
};

// The model's figure per memory level for candidate `c` of prep's op (see above); empty where
// the model does not predict that level for the op.
struct PredictedLevels {
  std::optional<double> dram_read_bytes, dram_write_bytes, l2_bytes, smem_wavefronts,
      conflict_factor, occupancy_pct, lsu_wavefronts, sm_balance;
};
PredictedLevels predicted_levels(const PreparedProblem& prep, const Candidate& c,
                                 const Prediction& pred);

// The rows, in the order above. `counts` null: counters not read (every counted value empty but
// time's).
std::vector<ProfileRow> profile_rows(const PreparedProblem& prep, const Candidate& c,
                                     const Prediction& pred, double measured_s,
                                     const profiler::Counts* counts);

// What the counted range holds when it is more than one kernel (gemm unfused: dequantize +
// cuBLAS; attention with splits: split + combine kernels); empty for one kernel.
std::string range_note(const Problem& p, const Candidate& c);

// Lines printed under the table to read a row whose counted value differs from the model for a
// known reason (empty when none applies): DRAM writes that stay in the write-back L2.
std::vector<std::string> row_notes(const std::vector<ProfileRow>& rows);

struct ProfileHeader {
  std::string problem;           // Problem::key()
  std::string candidate;         // Candidate::key()
  std::string candidate_source;  // "--candidate" or "model top-1 (implementable)"
  std::string device;            // "NVIDIA H100 80GB HBM3 (GPU-...), driver ..., CUDA ..."
  std::string gpu_key;           // spec the model used
  std::string model_source;      // "datasheet ceilings, default coefficients" / "... from F"
  std::string timer;             // "cupti" / "cuda_event (CUPTI not used: ...)"
  double rel_stdev = 0;
  long long samples = 0;
  std::vector<double> set_median_s;  // per data set (tuner::TrialResult); a line when > 1
  double compulsory_hbm_bytes = 0;   // the model's compulsory bytes (codes, codebooks, x, y)
  std::string counters;              // "user replay, 3 passes, chip gh100" (empty: not read)
  std::vector<std::string> unavailable_metrics;
  std::string counters_error;          // why the counters were not read (empty when they were)
  std::string note;                    // range_note(): printed (and in JSON) only when not empty
  std::vector<std::string> row_notes;  // row_notes(): printed under the table, "row_notes" in JSON
};

// The data-set line: "4 copies of the data, medians 41.20 to 41.95 us (spread 1.82 %)"; empty for
// fewer than two sets.
std::string data_sets_line(const std::vector<double>& set_median_s);

// One value in its unit, e.g. "17.07 MB", "25.47 us", "2.12x", "25.0 %", "1.234 M".
std::string format_value(double v, const std::string& unit);

// The table; then, when `counts` holds raw metrics (--metrics), one line per metric as counted.
void print_profile_table(std::ostream& os, const ProfileHeader& h,
                         const std::vector<ProfileRow>& rows,
                         const profiler::Counts* counts = nullptr);
nlohmann::json profile_json(const ProfileHeader& h, const std::vector<ProfileRow>& rows,
                            const profiler::Counts* counts);

}  // namespace vqt::cli
