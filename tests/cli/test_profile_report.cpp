// cpu tier: the rows, table and JSON of `vqtune profile` (cli/profile_report.hpp) from a real
// prediction and hand-made counts.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/profile_report.hpp"
#include "model/enumerate.hpp"

using namespace vqt;
using namespace vqt::cli;
using profiler::CounterId;

namespace {

struct Fixture {
  PreparedProblem prep;
  Candidate cand;
  Prediction pred{};
  explicit Fixture(const Problem& p = Problem::matmul(Op::gemv, parse_vq("aqlm-2x8"), 1, 4096,
                                                      4096)) {
    prep = prepare(p, find_gpu("h100-sxm"), ModelCoefficients{},
                   zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf:1");
    const Ranked top = rank_candidates(prep, 1).at(0);
    cand = top.candidate;
    pred = top.prediction;
  }
  // The best-ranked candidate that `pick` accepts (its prediction with it).
  template <class Pick>
  bool choose(Pick pick) {
    for (const auto& r : rank_candidates(prep))
      if (pick(r.candidate)) {
        cand = r.candidate;
        pred = r.prediction;
        return true;
      }
    return false;
  }
};

// The line that contains `text` (empty when none does).
std::string line_of_any(const std::string& table, const std::string& text) {
  std::istringstream is(table);
  std::string line;
  while (std::getline(is, line))
    if (line.find(text) != std::string::npos) return line;
  return {};
}

profiler::Counts counts() {
  profiler::Counts c;
  c.chip = "gh100";
  c.passes = 3;
  c.ranges = 1;
  auto add = [&](CounterId id, double v, bool ok = true) { c.values.push_back({id, v, ok}); };
  add(CounterId::dram_read_bytes, 8.5e6);
  add(CounterId::dram_write_bytes, 1e3);
  add(CounterId::l2_bytes, 9e6);
  add(CounterId::l2_from_l1_sectors, 250000);
  add(CounterId::smem_wavefronts, 4e6);
  add(CounterId::smem_ld_wavefronts, 3e6);
  add(CounterId::smem_bank_conflicts, 1e6, false);  // not on this chip
  add(CounterId::smem_ld_bank_conflicts, 1e6);
  add(CounterId::smem_ld_requests, 2e6);
  add(CounterId::achieved_occupancy_pct, 42.5);
  add(CounterId::lsu_wavefronts, 5e6);
  add(CounterId::sm_active_cycles_avg, 40000);
  add(CounterId::sm_active_cycles_max, 46000);
  add(CounterId::gpu_time_ns, 20000);
  return c;
}

const ProfileRow& row(const std::vector<ProfileRow>& rows, const std::string& key) {
  for (const auto& r : rows)
    if (r.key == key) return r;
  throw std::runtime_error("no row " + key);
}

ProfileHeader header() {
  ProfileHeader h;
  h.problem = "gemv:m1:n4096:k4096:v8b8r2:per_tensor";
  h.candidate = "reg=0,smem=256,...";
  h.candidate_source = "--candidate";
  h.device = "NVIDIA H100 80GB HBM3";
  h.gpu_key = "h100-sxm";
  h.model_source = "datasheet ceilings, default coefficients";
  h.timer = "cupti";
  h.samples = 40;
  h.rel_stdev = 0.004;
  h.compulsory_hbm_bytes = 8.4e6;
  h.counters = "user replay, 3 passes, 1 range(s), chip gh100";
  return h;
}

}  // namespace

TEST(ProfileRows, EveryLevelInOrderWithRatios) {
  const Fixture f;
  const profiler::Counts c = counts();
  const auto rows = profile_rows(f.prep, f.cand, f.pred, 25e-6, &c);
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"time_s", "dram_read_bytes", "dram_write_bytes",
                                            "l2_bytes", "l1_l2_bytes", "smem_wavefronts",
                                            "conflict_factor", "smem_bank_conflicts",
                                            "occupancy_pct", "lsu_wavefronts", "sm_balance"}));
  EXPECT_DOUBLE_EQ(*row(rows, "time_s").predicted, f.pred.time_s);
  EXPECT_DOUBLE_EQ(*row(rows, "time_s").counted, 25e-6);
  // The model's HBM bytes split into reads and the output writes.
  EXPECT_DOUBLE_EQ(*row(rows, "dram_read_bytes").predicted, f.pred.hbm_bytes - f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*row(rows, "dram_write_bytes").predicted, f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*row(rows, "dram_read_bytes").counted, 8.5e6);
  EXPECT_DOUBLE_EQ(*row(rows, "dram_read_bytes").ratio(),
                   8.5e6 / (f.pred.hbm_bytes - f.prep.output_bytes));
  EXPECT_DOUBLE_EQ(*row(rows, "l1_l2_bytes").counted, 250000 * 32.0);
  // gemv: the model's lookups against the counted shared-memory loads (not loads + stores).
  EXPECT_DOUBLE_EQ(*row(rows, "smem_wavefronts").counted, 3e6);
  EXPECT_DOUBLE_EQ(*row(rows, "conflict_factor").counted, 3e6 / (3e6 - 1e6));
  EXPECT_DOUBLE_EQ(*row(rows, "conflict_factor").predicted, f.pred.conflict_factor);
  EXPECT_FALSE(row(rows, "smem_bank_conflicts").counted.has_value());  // unavailable
  EXPECT_FALSE(row(rows, "smem_bank_conflicts").ratio().has_value());  // nothing predicted
  EXPECT_DOUBLE_EQ(*row(rows, "occupancy_pct").predicted, f.pred.occ.occupancy * 100);
  EXPECT_DOUBLE_EQ(*row(rows, "occupancy_pct").counted, 42.5);
  EXPECT_DOUBLE_EQ(*row(rows, "lsu_wavefronts").predicted, f.pred.lsu_wavefronts);
  EXPECT_DOUBLE_EQ(*row(rows, "lsu_wavefronts").counted, 5e6);
  EXPECT_DOUBLE_EQ(*row(rows, "sm_balance").predicted, 1.0 / f.pred.wave_eff);
  EXPECT_DOUBLE_EQ(*row(rows, "sm_balance").counted, 46000.0 / 40000.0);
}

TEST(ProfileRows, WithoutCountsOnlyTimeIsCounted) {
  const Fixture f;
  const auto rows = profile_rows(f.prep, f.cand, f.pred, 25e-6, nullptr);
  for (const auto& r : rows) {
    if (r.key == "time_s") {
      EXPECT_TRUE(r.counted.has_value());
    } else {
      EXPECT_FALSE(r.counted.has_value()) << r.key;
    }
  }
}

TEST(ProfileFormat, ValuesInTheirUnits) {
  EXPECT_EQ(format_value(17.07e6, "bytes"), "17.07 MB");
  EXPECT_EQ(format_value(2.5e9, "bytes"), "2.500 GB");
  EXPECT_EQ(format_value(512, "bytes"), "0.5 KB");
  EXPECT_EQ(format_value(25.47e-6, "s"), "25.47 us");
  EXPECT_EQ(format_value(1.5e-3, "s"), "1.500 ms");
  EXPECT_EQ(format_value(2.125, "x"), "2.12x");
  EXPECT_EQ(format_value(42.5, "%"), "42.5 %");
  EXPECT_EQ(format_value(1234567, "wavefronts"), "1.235 M");
  EXPECT_EQ(format_value(2500, "conflicts"), "2.50 K");
  EXPECT_EQ(format_value(12, "conflicts"), "12");
}

TEST(ProfileFormat, TableHasEveryRowAndMarksMissingCounts) {
  const Fixture f;
  const profiler::Counts c = counts();
  std::ostringstream os;
  print_profile_table(os, header(), profile_rows(f.prep, f.cand, f.pred, 25e-6, &c));
  const std::string out = os.str();
  for (const char* level :
       {"time", "DRAM read bytes", "DRAM write bytes", "L2 bytes", "L1<->L2 bytes",
        "shared wavefronts", "bank-conflict factor", "bank conflicts", "occupancy (achieved)",
        "L1 data-pipe wavefronts", "SM balance (max/mean)", "model predicted", "counted/predicted",
        "user replay, 3 passes"})
    EXPECT_NE(out.find(level), std::string::npos) << level << "\n" << out;
  EXPECT_NE(out.find("8.50 MB"), std::string::npos) << out;
  EXPECT_NE(out.find("25.00 us"), std::string::npos) << out;

  ProfileHeader h = header();
  h.counters_error = "hardware counters are not available: CUPTI ...: privileges";
  std::ostringstream none;
  print_profile_table(none, h, profile_rows(f.prep, f.cand, f.pred, 25e-6, nullptr));
  EXPECT_NE(none.str().find("not read: hardware counters are not available"), std::string::npos);
  EXPECT_NE(none.str().find("n/a"), std::string::npos) << none.str();
}

TEST(ProfileFormat, NamedMetricsFollowTheTableAndTheJson) {
  const Fixture f;
  profiler::Counts c = counts();
  c.raw = {{"l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum", 123456, true},
           {"smsp__warp_issue_stalled_lg_throttle_per_warp_active.pct", 0, false}};
  const auto rows = profile_rows(f.prep, f.cand, f.pred, 25e-6, &c);
  std::ostringstream os;
  print_profile_table(os, header(), rows, &c);
  const std::string out = os.str();
  EXPECT_NE(out.find("metrics (--metrics)"), std::string::npos) << out;
  EXPECT_NE(line_of_any(out, "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum").find("123456"),
            std::string::npos)
      << out;
  EXPECT_NE(line_of_any(out, "smsp__warp_issue_stalled_lg_throttle").find("n/a"), std::string::npos)
      << out;
  const auto j = profile_json(header(), rows, &c);
  ASSERT_EQ(j["counters"]["metrics"].size(), 2u);
  EXPECT_EQ(j["counters"]["metrics"][0]["metric"],
            "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum");
  EXPECT_DOUBLE_EQ(j["counters"]["metrics"][0]["value"].get<double>(), 123456);
  EXPECT_TRUE(j["counters"]["metrics"][1]["value"].is_null());
  // Without named metrics the table ends with its rows.
  std::ostringstream plain;
  print_profile_table(plain, header(), rows, nullptr);
  EXPECT_EQ(plain.str().find("metrics (--metrics)"), std::string::npos);
}

TEST(ProfileFormat, JsonCarriesRowsAndRawCounters) {
  const Fixture f;
  const profiler::Counts c = counts();
  const auto j = profile_json(header(), profile_rows(f.prep, f.cand, f.pred, 25e-6, &c), &c);
  ASSERT_EQ(j["rows"].size(), 11u);
  EXPECT_EQ(j["rows"][1]["key"], "dram_read_bytes");
  EXPECT_DOUBLE_EQ(j["rows"][1]["counted"].get<double>(), 8.5e6);
  EXPECT_TRUE(j["rows"][7]["predicted"].is_null());
  EXPECT_TRUE(j["rows"][7]["ratio"].is_null());
  EXPECT_TRUE(j["counters"]["error"].is_null());
  EXPECT_EQ(j["counters"]["replay"], "user");
  EXPECT_EQ(j["counters"]["passes"], 3);
  EXPECT_EQ(j["counters"]["raw"]["dram_read_bytes"]["metric"], "dram__bytes_read.sum");
  EXPECT_TRUE(j["counters"]["raw"]["smem_bank_conflicts"]["value"].is_null());
  EXPECT_DOUBLE_EQ(j["compulsory_hbm_bytes"].get<double>(), 8.4e6);
  EXPECT_EQ(j["timer"], "cupti");
}

namespace {

Problem gemm_problem() {
  return Problem::matmul(Op::gemm, parse_vq("aqlm-2x8"), 512, 4096, 4096);
}
Problem attention_problem() {
  return Problem::attention(parse_vq("cq-4"), 8, 32, 32, 128, 4096);
}

std::string table_of(const Fixture& f, const ProfileHeader& h) {
  const profiler::Counts c = counts();
  std::ostringstream os;
  print_profile_table(os, h, profile_rows(f.prep, f.cand, f.pred, 25e-6, &c));
  return os.str();
}

// The table line of `level` (its first occurrence).
std::string line_of(const std::string& table, const std::string& level) {
  std::istringstream is(table);
  std::string line;
  while (std::getline(is, line))
    if (line.rfind(level, 0) == 0) return line;
  return {};
}

}  // namespace

TEST(ProfileRows, GemvLevelsAreTheModelsFields) {
  const Fixture f;
  const PredictedLevels l = predicted_levels(f.prep, f.cand, f.pred);
  EXPECT_DOUBLE_EQ(*l.dram_read_bytes, f.pred.hbm_bytes - f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*l.dram_write_bytes, f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*l.l2_bytes, f.pred.l2_bytes);
  EXPECT_DOUBLE_EQ(*l.smem_wavefronts, f.pred.smem_wavefronts);
  EXPECT_DOUBLE_EQ(*l.conflict_factor, f.pred.conflict_factor);
  EXPECT_DOUBLE_EQ(*l.occupancy_pct, f.pred.occ.occupancy * 100);
  EXPECT_DOUBLE_EQ(*l.lsu_wavefronts, f.pred.lsu_wavefronts);
  EXPECT_DOUBLE_EQ(*l.sm_balance, 1.0 / f.pred.wave_eff);
  EXPECT_EQ(range_note(f.prep.problem, f.cand), "");
}

TEST(ProfileRows, GemvLsuWavefrontsHoldTheLookupsAndTheActivationLoads) {
  // aqlm-2x8 4096 x 4096 at batch 1: 256 row tiles x 32 chunks of 128 k; a chunk is 4 steps and
  // each step's x load touches one 128-byte line (one batch row). Every L1 wavefront the model
  // counts is there, and the shared-memory lookups are among them.
  const Fixture f;
  ASSERT_TRUE(f.pred.valid);
  const double x_wavefronts = 256.0 * 32.0 * 4.0;
  EXPECT_GE(f.pred.lsu_wavefronts, f.pred.smem_wavefronts + x_wavefronts) << f.cand.key();
  // At batch 16 a step's x load touches 16 lines: 15 more per step.
  Fixture b16(Problem::matmul(Op::gemv, parse_vq("aqlm-2x8"), 16, 4096, 4096));
  Candidate c = f.cand;
  c.tile_m = b16.cand.tile_m;
  const Prediction p16 = predict(b16.prep, c);
  ASSERT_TRUE(p16.valid) << c.key();
  EXPECT_NEAR(p16.lsu_wavefronts - f.pred.lsu_wavefronts, 15.0 * x_wavefronts,
              1e-9 * p16.lsu_wavefronts);
}

TEST(ProfileRows, SmBalanceIsTheBusiestSmsShareOverTheMean) {
  // aqlm-3 12288 x 4096, 256 threads, split 1: 96 blocks on 132 SMs; the busiest SM runs one,
  // the mean SM 96 / 132 of one.
  Fixture f(Problem::matmul(Op::gemv, parse_vq("aqlm-3"), 16, 12288, 4096));
  ASSERT_TRUE(f.choose([](const Candidate& c) {
    return c.n_reg == 0 && c.n_smem == 0 && !c.l1_bypass && c.threads == 256 && c.split_k == 1;
  }));
  EXPECT_NEAR(*predicted_levels(f.prep, f.cand, f.pred).sm_balance, 132.0 / 96.0, 1e-12);
  // The fused GEMM has no L1 wavefront figure ("-"), but a balance; cuBLAS (unfused) neither.
  Fixture g(gemm_problem());
  ASSERT_TRUE(g.choose([](const Candidate& c) { return c.fusion != Fusion::unfused; }));
  EXPECT_FALSE(predicted_levels(g.prep, g.cand, g.pred).lsu_wavefronts.has_value());
  ASSERT_TRUE(predicted_levels(g.prep, g.cand, g.pred).sm_balance.has_value());
  EXPECT_NEAR(*predicted_levels(g.prep, g.cand, g.pred).sm_balance, 1.0 / g.pred.wave_eff, 1e-12);
  EXPECT_GE(*predicted_levels(g.prep, g.cand, g.pred).sm_balance, 1.0);
  ASSERT_TRUE(g.choose([](const Candidate& c) { return c.fusion == Fusion::unfused; }));
  EXPECT_FALSE(predicted_levels(g.prep, g.cand, g.pred).sm_balance.has_value());
}

TEST(ProfileFormat, DramWritesThatStayInL2AreExplainedUnderTheTable) {
  const Fixture f;
  profiler::Counts c = counts();
  for (auto& v : c.values)
    if (v.id == CounterId::dram_write_bytes) v.value = 0;
  ProfileHeader h = header();
  auto rows = profile_rows(f.prep, f.cand, f.pred, 25e-6, &c);
  h.row_notes = row_notes(rows);
  ASSERT_EQ(h.row_notes.size(), 1u);
  std::ostringstream os;
  print_profile_table(os, h, rows);
  EXPECT_NE(os.str().find("note:      DRAM write bytes: the L2 is write-back"), std::string::npos)
      << os.str();
  EXPECT_EQ(profile_json(h, rows, &c)["row_notes"].size(), 1u);
  // Writes as predicted: no note.
  for (auto& v : c.values)
    if (v.id == CounterId::dram_write_bytes) v.value = f.prep.output_bytes;
  EXPECT_TRUE(row_notes(profile_rows(f.prep, f.cand, f.pred, 25e-6, &c)).empty());
  EXPECT_TRUE(row_notes(profile_rows(f.prep, f.cand, f.pred, 25e-6, nullptr)).empty());
}

TEST(ProfileRows, GemmFusedSplitsHbmIntoReadsAndWrites) {
  Fixture f(gemm_problem());
  ASSERT_TRUE(f.choose([](const Candidate& c) {
    return c.fusion != Fusion::unfused && c.split_k > 1 && c.n_smem > 0;
  }));
  const PredictedLevels l = predicted_levels(f.prep, f.cand, f.pred);
  const double partials = f.pred.hbm_bytes - f.prep.compulsory_hbm_bytes;
  EXPECT_GT(partials, 0) << f.cand.key();  // split-k partials written and read back
  EXPECT_DOUBLE_EQ(*l.dram_write_bytes, f.prep.output_bytes + partials / 2);
  EXPECT_DOUBLE_EQ(*l.dram_read_bytes,
                   f.prep.compulsory_hbm_bytes - f.prep.output_bytes + partials / 2);
  EXPECT_NEAR(*l.dram_read_bytes + *l.dram_write_bytes, f.pred.hbm_bytes, 1e-6 * f.pred.hbm_bytes);
  EXPECT_DOUBLE_EQ(*l.smem_wavefronts, f.pred.smem_wavefronts);
  EXPECT_DOUBLE_EQ(*l.conflict_factor, f.pred.conflict_factor);  // codebook in shared memory
  EXPECT_DOUBLE_EQ(*l.occupancy_pct, f.pred.occ.occupancy * 100);
  EXPECT_EQ(range_note(f.prep.problem, f.cand), "");
}

TEST(ProfileRows, GemmFusedThroughL1HasNoConflictFigure) {
  // aqlm-1x16's 1 MiB codebook: the fused GEMM reads it through L1 (n_smem 0).
  Fixture f(Problem::matmul(Op::gemm, parse_vq("aqlm-1x16"), 512, 4096, 4096));
  ASSERT_TRUE(f.choose([](const Candidate& c) {
    return c.fusion != Fusion::unfused && c.n_smem == 0 && c.split_k == 1;
  }));
  const PredictedLevels l = predicted_levels(f.prep, f.cand, f.pred);
  EXPECT_FALSE(l.conflict_factor.has_value()) << f.cand.key();
  EXPECT_DOUBLE_EQ(*l.dram_read_bytes, f.prep.compulsory_hbm_bytes - f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*l.dram_write_bytes, f.prep.output_bytes);
}

TEST(ProfileRows, GemmUnfusedPrintsDashWhereTheModelHasNoFigure) {
  Fixture f(gemm_problem());
  f.cand.fusion = Fusion::unfused;
  f.pred = predict(f.prep, f.cand);
  ASSERT_TRUE(f.pred.valid);
  const PredictedLevels l = predicted_levels(f.prep, f.cand, f.pred);
  const double w_fp16 = 4096.0 * 4096.0 * 2.0;
  EXPECT_DOUBLE_EQ(*l.dram_write_bytes, f.prep.output_bytes + w_fp16);
  EXPECT_DOUBLE_EQ(*l.dram_read_bytes, f.pred.hbm_bytes - f.prep.output_bytes - w_fp16);
  EXPECT_GT(*l.dram_read_bytes, f.prep.codes_bytes);
  EXPECT_DOUBLE_EQ(*l.l2_bytes, f.pred.l2_bytes);
  EXPECT_FALSE(l.smem_wavefronts.has_value());
  EXPECT_FALSE(l.conflict_factor.has_value());
  EXPECT_FALSE(l.occupancy_pct.has_value());
  const std::string note = range_note(f.prep.problem, f.cand);
  EXPECT_NE(note.find("dequantize"), std::string::npos) << note;
  EXPECT_NE(note.find("cuBLAS"), std::string::npos) << note;

  // Table: "-" (not 0) in the predicted and ratio columns, the count still shown; the note.
  ProfileHeader h = header();
  h.note = note;
  const std::string t = table_of(f, h);
  for (const char* level : {"shared wavefronts", "bank-conflict factor", "occupancy (achieved)"}) {
    const std::string line = line_of(t, level);
    ASSERT_FALSE(line.empty()) << level << "\n" << t;
    EXPECT_EQ(line.find(" 0 "), std::string::npos) << line;
    const std::string rest = line.substr(22);  // past the level column
    std::istringstream cols(rest);
    std::string predicted;
    cols >> predicted;
    EXPECT_EQ(predicted, "-") << line;
    EXPECT_EQ(line.back(), '-') << line;  // no ratio
  }
  EXPECT_NE(line_of(t, "occupancy (achieved)").find("42.5 %"), std::string::npos) << t;
  EXPECT_NE(t.find("note:      counters cover both kernels"), std::string::npos) << t;
  const profiler::Counts c = counts();
  const auto j = profile_json(h, profile_rows(f.prep, f.cand, f.pred, 25e-6, &c), &c);
  EXPECT_EQ(j["note"], note);
  EXPECT_TRUE(j["rows"][5]["predicted"].is_null());
  EXPECT_EQ(j["rows"][5]["key"], "smem_wavefronts");
  EXPECT_DOUBLE_EQ(j["rows"][5]["counted"].get<double>(), 4e6);
}

TEST(ProfileRows, AttentionLevels) {
  Fixture f(attention_problem());
  const PredictedLevels l = predicted_levels(f.prep, f.cand, f.pred);
  const double partials = f.pred.hbm_bytes - f.prep.compulsory_hbm_bytes;
  EXPECT_GE(partials, 0);
  EXPECT_DOUBLE_EQ(*l.dram_write_bytes, f.prep.output_bytes + partials / 2);
  EXPECT_NEAR(*l.dram_read_bytes + *l.dram_write_bytes, f.pred.hbm_bytes, 1e-6 * f.pred.hbm_bytes);
  EXPECT_GT(*l.dram_read_bytes, f.prep.codes_bytes);  // the KV codes at least
  EXPECT_DOUBLE_EQ(*l.smem_wavefronts, f.pred.smem_wavefronts);
  EXPECT_DOUBLE_EQ(*l.occupancy_pct, f.pred.occ.occupancy * 100);
  EXPECT_FALSE(l.conflict_factor.has_value());  // the model assumes, does not compute, it
  Candidate split = f.cand;
  split.split_k = 4;
  EXPECT_NE(range_note(f.prep.problem, split).find("combine"), std::string::npos);
  split.split_k = 1;
  EXPECT_EQ(range_note(f.prep.problem, split), "");
}

TEST(ProfileFormat, GemvTableAndJsonHaveNoNote) {
  const Fixture f;
  EXPECT_EQ(table_of(f, header()).find("note:"), std::string::npos);
  const profiler::Counts c = counts();
  const auto j = profile_json(header(), profile_rows(f.prep, f.cand, f.pred, 25e-6, &c), &c);
  EXPECT_FALSE(j.contains("note"));
}

TEST(ProfileRows, OccupancyIsWhatTheGridPutsOnABusySm) {
  // aqlm-3 12288 x 4096 batch 16, 256 threads, split 1: 96 blocks on 132 SMs, one block per busy
  // SM whatever the resident limit (the H100 counted 12.5 %,
  // bench/results/profile-h100-2026-11-22-s5.md).
  Fixture f(Problem::matmul(Op::gemv, parse_vq("aqlm-3"), 16, 12288, 4096));
  ASSERT_TRUE(f.choose([](const Candidate& c) {
    return c.n_reg == 0 && c.n_smem == 0 && !c.l1_bypass && c.threads == 256 && c.split_k == 1;
  }));
  ASSERT_EQ(f.pred.blocks, 96);
  ASSERT_GE(f.pred.occ.blocks_per_sm, 2);  // the resident limit alone would say 25 % or more
  const PredictedLevels l = predicted_levels(f.prep, f.cand, f.pred);
  EXPECT_DOUBLE_EQ(*l.occupancy_pct, 100.0 * 8 / 64);
  // A grid that fills every SM to its limit reads the resident occupancy.
  ASSERT_TRUE(f.choose([](const Candidate& c) { return c.split_k == 8 && c.threads == 128; }));
  ASSERT_GE(double(f.pred.blocks), 132.0 * f.pred.occ.blocks_per_sm);
  EXPECT_DOUBLE_EQ(*predicted_levels(f.prep, f.cand, f.pred).occupancy_pct,
                   f.pred.occ.occupancy * 100);
}

TEST(ProfileFormat, DataSetsLineGivesTheSpreadOfThePerCopyMedians) {
  EXPECT_EQ(data_sets_line({}), "");
  EXPECT_EQ(data_sets_line({41e-6}), "");  // one copy: nothing to compare
  EXPECT_EQ(data_sets_line({41.95e-6, 41.2e-6, 41.5e-6, 41.3e-6}),
            "4 copies of the data, medians 41.20 to 41.95 us (spread 1.82 %)");

  const Fixture f;
  ProfileHeader h = header();
  const auto rows = profile_rows(f.prep, f.cand, f.pred, 25e-6, nullptr);
  std::ostringstream one;
  print_profile_table(one, h, rows);
  EXPECT_EQ(one.str().find("data sets:"), std::string::npos) << one.str();
  h.set_median_s = {20e-6, 22e-6};
  std::ostringstream two;
  print_profile_table(two, h, rows);
  EXPECT_NE(two.str().find("data sets: 2 copies of the data, medians 20.00 to 22.00 us (spread "
                           "10.00 %); the time is their mean"),
            std::string::npos)
      << two.str();
  const auto j = profile_json(h, rows, nullptr);
  ASSERT_EQ(j["set_median_s"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["set_median_s"][1].get<double>(), 22e-6);
}
