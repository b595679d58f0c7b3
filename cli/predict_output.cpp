#include "cli/predict_output.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "model/explain.hpp"

namespace vqt::cli {

namespace {

std::string placement(const Candidate& c, std::int64_t entries) {
  return std::to_string(c.n_reg) + "/" + std::to_string(c.n_smem) + "/" + std::to_string(entries);
}

std::string tile(const Candidate& c) {
  return std::to_string(c.tile_m) + "x" + std::to_string(c.tile_n) + "x" + std::to_string(c.tile_k);
}

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

nlohmann::json candidate_json(const PreparedProblem& p, const Ranked& x) {
  const Candidate& c = x.candidate;
  const Prediction& r = x.prediction;
  nlohmann::json j;
  j["key"] = c.key();
  j["time_s"] = r.time_s;
  j["ideal_s"] = r.ideal_s;
  j["ratio_to_ideal"] = r.time_s / r.ideal_s;
  j["bound"] = to_string(r.bound);
  j["placement"] = {{"n_reg", c.n_reg},
                    {"n_smem", c.n_smem},
                    {"entries", p.entries},
                    {"smem_copies", c.smem_copies},
                    {"l1_bypass", c.l1_bypass}};
  j["launch"] = {{"threads", c.threads},
                 {"tile_m", c.tile_m},
                 {"tile_n", c.tile_n},
                 {"tile_k", c.tile_k},
                 {"split_k", c.split_k},
                 {"cb_split", c.cb_split},
                 {"fusion", to_string(c.fusion)},
                 {"dataflow", to_string(c.dataflow)},
                 {"blocks", r.blocks}};
  j["hit_fractions"] = {{"registers", r.frac_reg},
                        {"shared", r.frac_smem},
                        {"global", r.frac_global},
                        {"l1_hit_of_global", r.l1_hit},
                        {"l2_hit_of_global", r.l2_hit}};
  j["bytes"] = {{"hbm", r.hbm_bytes},
                {"l2", r.l2_bytes},
                {"l1_sectors", r.l1_sectors},
                {"smem_wavefronts", r.smem_wavefronts},
                {"register_lookups", r.reg_lookups}};
  j["occupancy"] = {
      {"blocks_per_sm", r.occ.blocks_per_sm}, {"active_warps_per_sm", r.occ.active_warps_per_sm},
      {"occupancy", r.occ.occupancy},         {"limit", to_string(r.occ.limit)},
      {"regs_per_thread", r.regs_per_thread}, {"smem_bytes_per_block", r.smem_bytes_per_block}};
  j["terms_s"] = {{"hbm", r.hbm_s},
                  {"l2", r.l2_s},
                  {"smem", r.smem_s},
                  {"compute", r.compute_s},
                  {"latency", r.latency_s},
                  {"fill", r.fill_s},
                  {"reduction", r.reduction_s},
                  {"launch", r.launch_s},
                  {"second_kernel", r.second_kernel_s}};
  j["bank_conflict_factor"] = r.conflict_factor;
  j["waves"] = r.waves;
  return j;
}

nlohmann::json gpu_json(const PredictRequest& req) {
  const GpuSpec& g = req.gpu;
  nlohmann::json j = {{"key", g.key}, {"name", g.name}};
  for (Ceiling c : kAllCeilings)
    j["ceilings"][ceiling_name(c)] = {{"value", g.ceiling(c)},
                                      {"source", to_string(g.ceiling_sources[int(c)])}};
  j["measured_ceilings_from"] = req.ceilings_source;  // empty: none measured
  return j;
}

const char* kCsvHeader =
    "rank,time_s,ideal_s,ratio_to_ideal,bound,n_reg,n_smem,entries,frac_reg,frac_smem,"
    "frac_global,l1_hit,l2_hit,smem_copies,l1_bypass,cb_split,dataflow,fusion,tile_m,tile_n,"
    "tile_k,threads,split_k,blocks,blocks_per_sm,occupancy,occupancy_limit,regs_per_thread,"
    "smem_bytes_per_block,hbm_bytes,l2_bytes,smem_wavefronts,bank_conflict_factor,"
    "histogram_source,candidate_key";

void csv_row(int rank, const PreparedProblem& p, const std::string& hist, const Ranked& x) {
  const Candidate& c = x.candidate;
  const Prediction& r = x.prediction;
  std::cout << rank << "," << r.time_s << "," << r.ideal_s << "," << r.time_s / r.ideal_s << ","
            << to_string(r.bound) << "," << c.n_reg << "," << c.n_smem << "," << p.entries << ","
            << r.frac_reg << "," << r.frac_smem << "," << r.frac_global << "," << r.l1_hit << ","
            << r.l2_hit << "," << c.smem_copies << "," << (c.l1_bypass ? 1 : 0) << "," << c.cb_split
            << "," << to_string(c.dataflow) << "," << to_string(c.fusion) << "," << c.tile_m << ","
            << c.tile_n << "," << c.tile_k << "," << c.threads << "," << c.split_k << ","
            << r.blocks << "," << r.occ.blocks_per_sm << "," << r.occ.occupancy << ","
            << to_string(r.occ.limit) << "," << r.regs_per_thread << "," << r.smem_bytes_per_block
            << "," << r.hbm_bytes << "," << r.l2_bytes << "," << r.smem_wavefronts << ","
            << r.conflict_factor << "," << csv_quote(hist) << "," << csv_quote(c.key()) << "\n";
}

void table_header() {
  std::printf(
      "%4s %9s %6s %-7s %-15s %3s %3s %3s %-7s %-11s %4s %3s %7s %-14s %4s %6s %8s %8s "
      "%-17s %4s %4s\n",
      "rank", "time_us", "xideal", "bound", "reg/smem/all", "cps", "byp", "cbs", "fusion", "tile",
      "thr", "spk", "blocks", "occupancy", "regs", "smemKB", "HBM_MB", "L2_MB", "lookups r/s/g %",
      "L1%", "L2%");
}

void table_row(int rank, const PreparedProblem& p, const Ranked& x) {
  const Candidate& c = x.candidate;
  const Prediction& r = x.prediction;
  char occ[32], hits[32];
  std::snprintf(occ, sizeof occ, "%dx%dw %.0f%% %s", r.occ.blocks_per_sm, c.threads / 32,
                100 * r.occ.occupancy,
                r.occ.limit == OccupancyLimit::shared_memory ? "sm"
                : r.occ.limit == OccupancyLimit::registers   ? "rg"
                : r.occ.limit == OccupancyLimit::warps       ? "wp"
                                                             : "bl");
  std::snprintf(hits, sizeof hits, "%.0f/%.0f/%.0f", 100 * r.frac_reg, 100 * r.frac_smem,
                100 * r.frac_global);
  std::printf(
      "%4d %9.2f %6.2f %-7s %-15s %3d %3d %3d %-7s %-11s %4d %3d %7lld %-14s %4d %6.1f "
      "%8.2f %8.2f %-17s %4.0f %4.0f\n",
      rank, r.time_s * 1e6, r.time_s / r.ideal_s, to_string(r.bound),
      placement(c, p.entries).c_str(), c.smem_copies, c.l1_bypass ? 1 : 0, c.cb_split,
      to_string(c.fusion), tile(c).c_str(), c.threads, c.split_k, static_cast<long long>(r.blocks),
      occ, r.regs_per_thread, r.smem_bytes_per_block / 1024.0, r.hbm_bytes / 1e6, r.l2_bytes / 1e6,
      hits, 100 * r.l1_hit, 100 * r.l2_hit);
}

void print_context(const PredictRequest& req) {
  const GpuSpec& g = req.gpu;
  auto src = [&](Ceiling c) { return to_string(g.ceiling_sources[int(c)]); };
  std::printf(
      "gpu:       %s (%s, cc %s, %d SMs): HBM %.2f TB/s [%s], L2 %.1f TB/s [%s], smem %.1f "
      "TB/s [%s], FP16 tensor %.0f TFLOP/s [%s], FP32 %.1f TFLOP/s [%s], host link %.1f GB/s "
      "[%s], launch %.1f us [%s]\n",
      g.key.c_str(), g.name.c_str(), g.compute_capability().c_str(), g.sm_count,
      g.hbm_bw_bytes_per_s() / 1e12, src(Ceiling::hbm_bw), g.l2_bw_bytes_per_s() / 1e12,
      src(Ceiling::l2_bw), g.smem_bw_bytes_per_s() / 1e12, src(Ceiling::smem_bw),
      g.fp16_tensor_flops_per_s() / 1e12, src(Ceiling::fp16_tensor), g.fp32_flops_per_s() / 1e12,
      src(Ceiling::fp32), g.host_link_bw_bytes_per_s() / 1e9, src(Ceiling::host_link),
      g.launch_overhead_s() * 1e6, src(Ceiling::launch));
  if (!req.ceilings_source.empty())
    std::printf("ceilings:  [measured] from %s\n", req.ceilings_source.c_str());
  std::printf("coeffs:    %s\n", req.coef_source.c_str());
  std::printf("vq:        %s, %.3g bits/element, %s per codebook\n", req.vq.describe().c_str(),
              req.vq.bits_per_element(), format_bytes(double(req.vq.codebook_bytes())).c_str());
}

void print_histogram(const PredictRequest& req, const HistogramInfo& h) {
  std::printf(
      "histogram: %s (%s); entropy %.2f bits, hottest 256 entries take %.0f%% of "
      "lookups\n",
      h.source.c_str(),
      req.vq_file.empty() ? "default: quantized synthetic weights, cached; --vq-file "
                            "for a real checkpoint"
                          : "from --vq-file",
      h.entropy_bits, 100 * h.top256_mass);
}

}  // namespace

void print_problem(const PredictRequest& req, const LayerResult& r) {
  const PreparedProblem& p = r.prep;
  if (req.format == Format::json) {
    nlohmann::json j;
    j["problem"] = {{"key", p.problem.key()}, {"describe", p.problem.describe()}};
    j["vq"] = req.vq.describe();
    j["gpu"] = gpu_json(req);
    j["coefficients"] = req.coef_source;
    j["histogram_source"] = r.hist.source;
    j["histogram"] = {{"entropy_bits", r.hist.entropy_bits}, {"top256_mass", r.hist.top256_mass}};
    j["compulsory_hbm_bytes"] = p.compulsory_hbm_bytes;
    j["ideal_s"] = p.ideal_s;
    j["dense_fp16_s"] = r.dense_s;
    j["candidates"] = nlohmann::json::array();
    for (const auto& x : r.ranked) j["candidates"].push_back(candidate_json(p, x));
    if (!r.ranked.empty())
      j["why"] = explain(p, r.ranked.front().candidate, r.ranked.front().prediction);
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (req.format == Format::csv) {
    std::cout << kCsvHeader << "\n";
    int rank = 0;
    for (const auto& x : r.ranked) csv_row(++rank, p, r.hist.source, x);
    return;
  }
  std::printf("problem:   %s\n", p.problem.describe().c_str());
  print_context(req);
  print_histogram(req, r.hist);
  std::printf(
      "ideal:     %.2f us = %.2f MB compulsory (codes %.2f, codebooks %.3f, activations + "
      "outputs %.3f) / HBM; fp16 dense baseline %.2f us\n",
      p.ideal_s * 1e6, p.compulsory_hbm_bytes / 1e6, p.codes_bytes / 1e6, p.codebook_bytes / 1e6,
      (p.activation_bytes + p.output_bytes) / 1e6, r.dense_s * 1e6);
  std::printf("\n");
  table_header();
  int rank = 0;
  for (const auto& x : r.ranked) table_row(++rank, p, x);
  if (!r.ranked.empty()) {
    const Ranked& w = r.ranked.front();
    std::printf("\nwhy:       %s\n", explain(p, w.candidate, w.prediction).c_str());
    std::printf("winner:    %s\n", w.candidate.key().c_str());
  }
}

void print_model(const PredictRequest& req, const std::vector<LayerResult>& layers) {
  const ModelShape& m = *req.model;
  double per_layer = 0, ideal = 0, dense = 0;
  for (const auto& l : layers) {
    if (l.ranked.empty()) continue;
    per_layer += l.layer.count_per_layer * l.ranked.front().prediction.time_s;
    ideal += l.layer.count_per_layer * l.prep.ideal_s;
    dense += l.layer.count_per_layer * l.dense_s;
  }
  if (req.format == Format::json) {
    nlohmann::json j;
    j["model"] = {{"key", m.key}, {"layers", m.layers}, {"source", m.source}};
    j["vq"] = req.vq.describe();
    j["gpu"] = gpu_json(req);
    j["coefficients"] = req.coef_source;
    j["layers"] = nlohmann::json::array();
    for (const auto& l : layers) {
      nlohmann::json e = {{"name", l.layer.name},
                          {"count_per_layer", l.layer.count_per_layer},
                          {"problem", l.prep.problem.key()},
                          {"histogram_source", l.hist.source},
                          {"ideal_s", l.prep.ideal_s},
                          {"dense_fp16_s", l.dense_s}};
      if (!l.ranked.empty()) {
        e["best"] = candidate_json(l.prep, l.ranked.front());
        e["why"] = explain(l.prep, l.ranked.front().candidate, l.ranked.front().prediction);
      }
      j["layers"].push_back(e);
    }
    j["per_layer_s"] = per_layer;
    j["per_token_s"] = per_layer * m.layers;
    j["ideal_per_token_s"] = ideal * m.layers;
    j["dense_fp16_per_token_s"] = dense * m.layers;
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (req.format == Format::csv) {
    std::cout << "layer,count_per_layer," << kCsvHeader << "\n";
    for (const auto& l : layers)
      if (!l.ranked.empty()) {
        std::cout << csv_quote(l.layer.name) << "," << l.layer.count_per_layer << ",";
        csv_row(1, l.prep, l.hist.source, l.ranked.front());
      }
    return;
  }
  std::printf("model:     %s (%d layers; %s)\n", m.key.c_str(), m.layers, m.source.c_str());
  print_context(req);
  if (!layers.empty()) print_histogram(req, layers.front().hist);
  std::printf("\n%-10s %5s %-38s %9s %6s %-7s %s\n", "layer", "count", "problem", "time_us",
              "xideal", "bound", "best candidate");
  for (const auto& l : layers) {
    if (l.ranked.empty()) {
      std::printf("%-10s %5d %-38s no runnable candidate\n", l.layer.name.c_str(),
                  l.layer.count_per_layer, l.prep.problem.describe().c_str());
      continue;
    }
    const Ranked& w = l.ranked.front();
    std::printf("%-10s %5d %-38s %9.2f %6.2f %-7s %s\n", l.layer.name.c_str(),
                l.layer.count_per_layer, l.prep.problem.describe().c_str(),
                w.prediction.time_s * 1e6, w.prediction.time_s / l.prep.ideal_s,
                to_string(w.prediction.bound), w.candidate.key().c_str());
    std::printf("%-10s %5s why: %s\n", "", "", explain(l.prep, w.candidate, w.prediction).c_str());
  }
  std::printf(
      "\nper layer: %.2f us; per token (%d layers): %.3f ms (ideal %.3f ms, fp16 dense "
      "%.3f ms)\n",
      per_layer * 1e6, m.layers, per_layer * m.layers * 1e3, ideal * m.layers * 1e3,
      dense * m.layers * 1e3);
}

}  // namespace vqt::cli
