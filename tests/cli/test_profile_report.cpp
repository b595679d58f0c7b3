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
  Prediction pred{};
  Fixture() {
    const Problem p = Problem::matmul(Op::gemv, parse_vq("aqlm-2x8"), 1, 4096, 4096);
    prep = prepare(p, find_gpu("h100-sxm"), ModelCoefficients{},
                   zipf_sorted_cdf(p.vq.stored_entries(), 1.0), "zipf:1");
    pred = rank_candidates(prep, 1).at(0).prediction;
  }
};

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
  const auto rows = profile_rows(f.prep, f.pred, 25e-6, &c);
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"time_s", "dram_read_bytes", "dram_write_bytes", "l2_bytes",
                                      "l1_l2_bytes", "smem_wavefronts", "conflict_factor",
                                      "smem_bank_conflicts", "occupancy_pct"}));
  EXPECT_DOUBLE_EQ(*row(rows, "time_s").predicted, f.pred.time_s);
  EXPECT_DOUBLE_EQ(*row(rows, "time_s").counted, 25e-6);
  // The model's HBM bytes split into reads and the output writes.
  EXPECT_DOUBLE_EQ(*row(rows, "dram_read_bytes").predicted, f.pred.hbm_bytes - f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*row(rows, "dram_write_bytes").predicted, f.prep.output_bytes);
  EXPECT_DOUBLE_EQ(*row(rows, "dram_read_bytes").counted, 8.5e6);
  EXPECT_DOUBLE_EQ(*row(rows, "dram_read_bytes").ratio(),
                   8.5e6 / (f.pred.hbm_bytes - f.prep.output_bytes));
  EXPECT_DOUBLE_EQ(*row(rows, "l1_l2_bytes").counted, 250000 * 32.0);
  EXPECT_DOUBLE_EQ(*row(rows, "conflict_factor").counted, 3e6 / (3e6 - 1e6));
  EXPECT_DOUBLE_EQ(*row(rows, "conflict_factor").predicted, f.pred.conflict_factor);
  EXPECT_FALSE(row(rows, "smem_bank_conflicts").counted.has_value());  // unavailable
  EXPECT_FALSE(row(rows, "smem_bank_conflicts").ratio().has_value());  // nothing predicted
  EXPECT_DOUBLE_EQ(*row(rows, "occupancy_pct").predicted, f.pred.occ.occupancy * 100);
  EXPECT_DOUBLE_EQ(*row(rows, "occupancy_pct").counted, 42.5);
}

TEST(ProfileRows, WithoutCountsOnlyTimeIsCounted) {
  const Fixture f;
  const auto rows = profile_rows(f.prep, f.pred, 25e-6, nullptr);
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
  print_profile_table(os, header(), profile_rows(f.prep, f.pred, 25e-6, &c));
  const std::string out = os.str();
  for (const char* level :
       {"time", "DRAM read bytes", "DRAM write bytes", "L2 bytes", "L1<->L2 bytes",
        "shared wavefronts", "bank-conflict factor", "bank conflicts", "occupancy (achieved)",
        "model predicted", "counted/predicted", "user replay, 3 passes"})
    EXPECT_NE(out.find(level), std::string::npos) << level << "\n" << out;
  EXPECT_NE(out.find("8.50 MB"), std::string::npos) << out;
  EXPECT_NE(out.find("25.00 us"), std::string::npos) << out;

  ProfileHeader h = header();
  h.counters_error = "hardware counters are not available: CUPTI ...: privileges";
  std::ostringstream none;
  print_profile_table(none, h, profile_rows(f.prep, f.pred, 25e-6, nullptr));
  EXPECT_NE(none.str().find("not read: hardware counters are not available"), std::string::npos);
  EXPECT_NE(none.str().find("n/a"), std::string::npos) << none.str();
}

TEST(ProfileFormat, JsonCarriesRowsAndRawCounters) {
  const Fixture f;
  const profiler::Counts c = counts();
  const auto j = profile_json(header(), profile_rows(f.prep, f.pred, 25e-6, &c), &c);
  ASSERT_EQ(j["rows"].size(), 9u);
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
