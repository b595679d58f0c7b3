#include "cli/profile_report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace vqt::cli {

using profiler::CounterId;

std::optional<double> ProfileRow::ratio() const {
  if (!predicted || !counted || *predicted == 0) return std::nullopt;
  return *counted / *predicted;
}

PredictedLevels predicted_levels(const PreparedProblem& prep, const Candidate& c,
                                 const Prediction& pred) {
  PredictedLevels l;
  l.l2_bytes = pred.l2_bytes;
  const Op op = prep.problem.op;
  if (op == Op::gemm && c.fusion == Fusion::unfused) {
    const double w_fp16_bytes = double(prep.problem.n) * double(prep.problem.k) * 2.0;
    l.dram_write_bytes = prep.output_bytes + w_fp16_bytes;
    l.dram_read_bytes = pred.hbm_bytes - *l.dram_write_bytes;
    return l;
  }
  l.smem_wavefronts = pred.smem_wavefronts;
  if (pred.wave_eff > 0) l.sm_balance = 1.0 / pred.wave_eff;
  // What the counter reads (warps per active cycle of an active SM): the blocks the grid puts on
  // a busy SM, ceil(blocks / SMs), at most the resident limit, not the resident limit alone
  // (96 blocks of 8 warps on 132 SMs: 12.5 %, where 2 could be resident: 25 %).
  const double resident = double(pred.occ.blocks_per_sm);
  const double per_sm = std::ceil(double(pred.blocks) / double(prep.spec.sm_count));
  l.occupancy_pct =
      pred.occ.occupancy * 100.0 * (resident > 0 ? std::min(1.0, per_sm / resident) : 1.0);
  if (op == Op::gemv) {
    l.lsu_wavefronts = pred.lsu_wavefronts;
    l.dram_read_bytes = pred.hbm_bytes - prep.output_bytes;
    l.dram_write_bytes = prep.output_bytes;
    l.conflict_factor = pred.conflict_factor;
    return l;
  }
  // gemm fused, attention: split partials, written once and read back once.
  const double partial_bytes = pred.hbm_bytes - prep.compulsory_hbm_bytes;
  l.dram_read_bytes = prep.compulsory_hbm_bytes - prep.output_bytes + partial_bytes / 2;
  l.dram_write_bytes = prep.output_bytes + partial_bytes / 2;
  if (op == Op::gemm && c.n_smem > 0) l.conflict_factor = pred.conflict_factor;
  return l;
}

std::string range_note(const Problem& p, const Candidate& c) {
  if (p.op == Op::gemm && c.fusion == Fusion::unfused)
    return "counters cover both kernels of the range: the dequantize kernel and cuBLAS's fp16 "
           "GEMM";
  if (p.op == Op::attention_decode && c.split_k > 1)
    return "counters cover both kernels of the range: the split kernel and the combine kernel";
  return {};
}

std::vector<ProfileRow> profile_rows(const PreparedProblem& prep, const Candidate& c,
                                     const Prediction& pred, double measured_s,
                                     const profiler::Counts* counts) {
  auto got = [&](CounterId id) -> std::optional<double> {
    return counts ? counts->get(id) : std::nullopt;
  };
  auto times = [](std::optional<double> v, double f) -> std::optional<double> {
    return v ? std::optional<double>(*v * f) : std::nullopt;
  };
  const PredictedLevels l = predicted_levels(prep, c, pred);
  std::vector<ProfileRow> rows;
  rows.push_back({"time", "time_s", "s", pred.time_s,
                  measured_s > 0 ? std::optional<double>(measured_s) : std::nullopt});
  rows.push_back({"DRAM read bytes", "dram_read_bytes", "bytes", l.dram_read_bytes,
                  got(CounterId::dram_read_bytes)});
  rows.push_back({"DRAM write bytes", "dram_write_bytes", "bytes", l.dram_write_bytes,
                  got(CounterId::dram_write_bytes)});
  rows.push_back({"L2 bytes", "l2_bytes", "bytes", l.l2_bytes, got(CounterId::l2_bytes)});
  rows.push_back({"L1<->L2 bytes", "l1_l2_bytes", "bytes", l.l2_bytes,
                  times(got(CounterId::l2_from_l1_sectors), 32.0)});
  // gemv: the model's figure is the codebook lookups, shared-memory loads; the loads-and-stores
  // counter also holds the fills and, with no shared memory in use, reads ~0.8 per global load
  // request on the H100 (bench/results/profile-h100-2026-11-22-s5.md).
  rows.push_back({"shared wavefronts", "smem_wavefronts", "wavefronts", l.smem_wavefronts,
                  got(prep.problem.op == Op::gemv ? CounterId::smem_ld_wavefronts
                                                  : CounterId::smem_wavefronts)});
  std::optional<double> factor;
  const auto wf = got(CounterId::smem_ld_wavefronts);
  const auto conf = got(CounterId::smem_ld_bank_conflicts);
  if (wf && conf && *wf > *conf) factor = *wf / (*wf - *conf);
  rows.push_back({"bank-conflict factor", "conflict_factor", "x", l.conflict_factor, factor});
  rows.push_back({"bank conflicts", "smem_bank_conflicts", "conflicts", std::nullopt,
                  got(CounterId::smem_bank_conflicts)});
  rows.push_back({"occupancy (achieved)", "occupancy_pct", "%", l.occupancy_pct,
                  got(CounterId::achieved_occupancy_pct)});
  rows.push_back({"L1 data-pipe wavefronts", "lsu_wavefronts", "wavefronts", l.lsu_wavefronts,
                  got(CounterId::lsu_wavefronts)});
  // The model's busiest SM carries ceil(work / SMs) where the mean SM carries work / SMs; the
  // counters compare the cycles the busiest and the mean SM had warps. An SM with less work that
  // is latency-bound stays active nearly as long, so counted can read below predicted.
  std::optional<double> balance;
  const auto act_max = got(CounterId::sm_active_cycles_max);
  const auto act_avg = got(CounterId::sm_active_cycles_avg);
  if (act_max && act_avg && *act_avg > 0) balance = *act_max / *act_avg;
  rows.push_back({"SM balance (max/mean)", "sm_balance", "x", l.sm_balance, balance});
  return rows;
}

std::vector<std::string> row_notes(const std::vector<ProfileRow>& rows) {
  std::vector<std::string> notes;
  for (const auto& r : rows)
    if (r.key == "dram_write_bytes" && r.predicted && r.counted && *r.predicted > 0 &&
        *r.counted < 0.1 * *r.predicted)
      notes.push_back(
          "DRAM write bytes: the L2 is write-back; outputs that stay in it reach DRAM after the "
          "range, so the counter sees few or none of them");
  return notes;
}

std::string format_value(double v, const std::string& unit) {
  std::ostringstream os;
  os << std::fixed;
  if (!std::isfinite(v)) {
    os << v;
  } else if (unit == "bytes") {
    if (std::fabs(v) >= 1e9)
      os << std::setprecision(3) << v / 1e9 << " GB";
    else if (std::fabs(v) >= 1e6)
      os << std::setprecision(2) << v / 1e6 << " MB";
    else
      os << std::setprecision(1) << v / 1e3 << " KB";
  } else if (unit == "s") {
    if (std::fabs(v) >= 1e-3)
      os << std::setprecision(3) << v * 1e3 << " ms";
    else
      os << std::setprecision(2) << v * 1e6 << " us";
  } else if (unit == "x") {
    os << std::setprecision(2) << v << "x";
  } else if (unit == "%") {
    os << std::setprecision(1) << v << " %";
  } else if (std::fabs(v) >= 1e6) {
    os << std::setprecision(3) << v / 1e6 << " M";
  } else if (std::fabs(v) >= 1e3) {
    os << std::setprecision(2) << v / 1e3 << " K";
  } else {
    os << std::setprecision(0) << v;
  }
  return os.str();
}

std::string data_sets_line(const std::vector<double>& set_median_s) {
  if (set_median_s.size() < 2) return "";
  const auto [lo, hi] = std::minmax_element(set_median_s.begin(), set_median_s.end());
  std::ostringstream os;
  os << set_median_s.size() << " copies of the data, medians " << std::fixed << std::setprecision(2)
     << *lo * 1e6 << " to " << *hi * 1e6 << " us (spread " << 100 * (*hi / *lo - 1) << " %)";
  return os.str();
}

void print_profile_table(std::ostream& os, const ProfileHeader& h,
                         const std::vector<ProfileRow>& rows, const profiler::Counts* counts) {
  os << "problem:   " << h.problem << "\n";
  os << "candidate: " << h.candidate << " (" << h.candidate_source << ")\n";
  os << "device:    " << h.device << "\n";
  os << "model:     " << h.gpu_key << ", " << h.model_source << "; compulsory "
     << format_value(h.compulsory_hbm_bytes, "bytes") << "\n";
  std::ostringstream rs;
  rs << std::fixed << std::setprecision(2) << 100 * h.rel_stdev << " %";
  os << "timer:     " << h.timer << ", " << h.samples << " samples, rel stdev " << rs.str() << "\n";
  if (const std::string sets = data_sets_line(h.set_median_s); !sets.empty())
    os << "data sets: " << sets << "; the time is their mean\n";
  if (!h.counters_error.empty())
    os << "counters:  not read: " << h.counters_error << "\n";
  else
    os << "counters:  " << h.counters << "\n";
  for (const auto& m : h.unavailable_metrics) os << "           not on this chip: " << m << "\n";
  if (!h.note.empty()) os << "note:      " << h.note << "\n";
  os << std::left << std::setw(22) << "level" << std::right << std::setw(18) << "model predicted"
     << std::setw(16) << "counted" << std::setw(20) << "counted/predicted"
     << "\n";
  for (const auto& r : rows) {
    os << std::left << std::setw(22) << r.level << std::right << std::setw(18)
       << (r.predicted ? format_value(*r.predicted, r.unit) : "-") << std::setw(16)
       << (r.counted ? format_value(*r.counted, r.unit)
                     : (h.counters_error.empty() || r.key == "time_s" ? "-" : "n/a"));
    std::ostringstream ratio;
    if (const auto q = r.ratio()) ratio << std::fixed << std::setprecision(3) << *q;
    os << std::setw(20) << (ratio.str().empty() ? "-" : ratio.str()) << "\n";
  }
  for (const auto& n : h.row_notes) os << "note:      " << n << "\n";
  if (!counts || counts->raw.empty()) return;
  os << "metrics (--metrics), as counted:\n";
  for (const auto& m : counts->raw) {
    std::ostringstream v;
    if (m.available)
      v << std::setprecision(6) << m.value;
    else
      v << "n/a (cannot be scheduled with the others)";
    os << "  " << std::left << std::setw(64) << m.metric << " " << v.str() << "\n";
  }
}

nlohmann::json profile_json(const ProfileHeader& h, const std::vector<ProfileRow>& rows,
                            const profiler::Counts* counts) {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j;
  j["problem"] = h.problem;
  j["candidate"] = h.candidate;
  j["candidate_source"] = h.candidate_source;
  j["device"] = h.device;
  j["gpu_key"] = h.gpu_key;
  j["model_source"] = h.model_source;
  j["timer"] = h.timer;
  j["rel_stdev"] = h.rel_stdev;
  j["samples"] = h.samples;
  j["set_median_s"] = h.set_median_s;
  j["compulsory_hbm_bytes"] = h.compulsory_hbm_bytes;
  if (!h.note.empty()) j["note"] = h.note;
  if (!h.row_notes.empty()) j["row_notes"] = h.row_notes;
  j["rows"] = json::array();
  for (const auto& r : rows)
    j["rows"].push_back({{"level", r.level},
                         {"key", r.key},
                         {"unit", r.unit},
                         {"predicted", opt(r.predicted)},
                         {"counted", opt(r.counted)},
                         {"ratio", opt(r.ratio())}});
  json c;
  c["error"] = h.counters_error.empty() ? json(nullptr) : json(h.counters_error);
  c["unavailable_metrics"] = h.unavailable_metrics;
  if (counts) {
    c["replay"] = profiler::to_string(counts->replay);
    c["passes"] = counts->passes;
    c["ranges"] = counts->ranges;
    c["chip"] = counts->chip;
    json raw = json::object();
    for (const auto& v : counts->values) {
      const auto& info = profiler::counter_info(v.id);
      raw[info.key] = {{"metric", info.metric},
                       {"unit", info.unit},
                       {"value", v.available ? json(v.value) : json(nullptr)}};
    }
    c["raw"] = raw;
    json metrics = json::array();
    for (const auto& m : counts->raw)
      metrics.push_back(
          {{"metric", m.metric}, {"value", m.available ? json(m.value) : json(nullptr)}});
    c["metrics"] = metrics;
  }
  j["counters"] = c;
  return j;
}

}  // namespace vqt::cli
