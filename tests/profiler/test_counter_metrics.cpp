// cpu tier: the hardware-counter table (metric names, units, order), replay-mode parsing, the
// aggregation of kernel-replay ranges and the "counters unavailable" hints.
#include <cupti_result.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "profiler/counter_metrics.hpp"
#include "vq/error.hpp"

using namespace vqt::profiler;

TEST(CounterTable, IsInIdOrderWithUniqueWellFormedNames) {
  const auto& t = counter_table();
  ASSERT_EQ(t.size(), all_counters().size());
  // Nsight Compute metric names: unit__counter, then rollup / submetric suffixes.
  const std::regex metric(R"(^[a-z0-9]+__[a-z0-9_]+(\.[a-z0-9_]+)+$)");
  const std::regex key(R"(^[a-z0-9_]+$)");
  const std::set<std::string> units = {"bytes",        "sectors", "wavefronts", "conflicts",
                                       "instructions", "cycles",  "%",          "ns"};
  std::set<std::string> keys, metrics;
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(t[i].id), i) << t[i].key;
    EXPECT_EQ(&counter_info(t[i].id), &t[i]);
    EXPECT_TRUE(std::regex_match(t[i].metric, metric)) << t[i].metric;
    EXPECT_TRUE(std::regex_match(t[i].key, key)) << t[i].key;
    EXPECT_TRUE(units.count(t[i].unit)) << t[i].key << " unit " << t[i].unit;
    EXPECT_TRUE(keys.insert(t[i].key).second) << "duplicate key " << t[i].key;
    EXPECT_TRUE(metrics.insert(t[i].metric).second) << "duplicate metric " << t[i].metric;
    EXPECT_GT(std::string(t[i].what).size(), 10u);
  }
}

TEST(CounterTable, HasTheMetricsTheIssueNames) {
  auto metric = [](CounterId id) { return std::string(counter_info(id).metric); };
  EXPECT_EQ(metric(CounterId::dram_read_bytes), "dram__bytes_read.sum");
  EXPECT_EQ(metric(CounterId::dram_write_bytes), "dram__bytes_write.sum");
  EXPECT_EQ(metric(CounterId::l2_bytes), "lts__t_bytes.sum");
  EXPECT_EQ(metric(CounterId::smem_bank_conflicts),
            "l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum");
  EXPECT_EQ(metric(CounterId::smem_wavefronts), "l1tex__data_pipe_lsu_wavefronts_mem_shared.sum");
  EXPECT_EQ(metric(CounterId::achieved_occupancy_pct),
            "sm__warps_active.avg.pct_of_peak_sustained_active");
  // Ratios are averaged across kernels, counts add.
  EXPECT_EQ(counter_info(CounterId::achieved_occupancy_pct).across_kernels,
            Aggregate::time_weighted_mean);
  EXPECT_EQ(counter_info(CounterId::dram_read_bytes).across_kernels, Aggregate::sum);
}

TEST(ReplayMode, ParsesAndRejectsWithTheFlagName) {
  EXPECT_EQ(parse_replay_mode("user"), ReplayMode::user);
  EXPECT_EQ(parse_replay_mode("kernel"), ReplayMode::kernel);
  EXPECT_STREQ(to_string(ReplayMode::kernel), "kernel");
  try {
    parse_replay_mode("application");
    FAIL() << "accepted";
  } catch (const vqt::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--replay"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("user, kernel"), std::string::npos);
  }
}

TEST(AggregateRanges, SumsCountsAndWeightsRatiosByGpuTime) {
  const std::vector<CounterId> ids = {CounterId::dram_read_bytes, CounterId::achieved_occupancy_pct,
                                      CounterId::gpu_time_ns, CounterId::l2_bytes};
  const std::vector<bool> avail = {true, true, true, false};
  // Two kernels: 100 bytes at 50 % for 1 us, 300 bytes at 20 % for 3 us.
  const Counts c = aggregate_ranges(ids, avail, {{100, 50, 1000, 0}, {300, 20, 3000, 0}});
  EXPECT_EQ(c.ranges, 2);
  ASSERT_EQ(c.values.size(), 4u);
  EXPECT_DOUBLE_EQ(*c.get(CounterId::dram_read_bytes), 400);
  EXPECT_DOUBLE_EQ(*c.get(CounterId::gpu_time_ns), 4000);
  EXPECT_DOUBLE_EQ(*c.get(CounterId::achieved_occupancy_pct), (50 * 1000 + 20 * 3000) / 4000.0);
  EXPECT_FALSE(c.get(CounterId::l2_bytes).has_value());         // not available
  EXPECT_FALSE(c.get(CounterId::smem_wavefronts).has_value());  // not requested
}

TEST(AggregateRanges, WithoutGpuTimeRatiosAreAPlainMean) {
  const Counts c = aggregate_ranges({CounterId::achieved_occupancy_pct}, {true}, {{40}, {60}});
  EXPECT_DOUBLE_EQ(*c.get(CounterId::achieved_occupancy_pct), 50);
  // One range (user replay) passes through.
  const Counts one = aggregate_ranges({CounterId::dram_write_bytes}, {true}, {{123}});
  EXPECT_DOUBLE_EQ(*one.get(CounterId::dram_write_bytes), 123);
  EXPECT_EQ(one.ranges, 1);
}

TEST(AggregateRanges, RejectsMismatchedShapes) {
  EXPECT_THROW(aggregate_ranges({CounterId::l2_bytes}, {true, true}, {{1}}), vqt::Error);
  EXPECT_THROW(aggregate_ranges({CounterId::l2_bytes}, {true}, {{1, 2}}), vqt::Error);
  // No range at all: nothing is available.
  const Counts none = aggregate_ranges({CounterId::l2_bytes}, {true}, {});
  EXPECT_FALSE(none.get(CounterId::l2_bytes).has_value());
}

TEST(AggregateRaw, SumsExtremesAndTimeWeightedRollups) {
  const std::vector<std::string> m = {"l1tex__t_requests.sum", "sm__cycles_active.max",
                                      "sm__cycles_active.min", "l1tex__t_sector_hit_rate.pct",
                                      "lts__t_bytes.sum"};
  // Two kernels, 1 us and 3 us; the last metric could not be scheduled.
  const auto r = aggregate_raw(m, {true, true, true, true, false},
                               {{10, 7, 7, 40, 0}, {30, 5, 5, 80, 0}}, {1000, 3000});
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].metric, "l1tex__t_requests.sum");
  EXPECT_DOUBLE_EQ(r[0].value, 40);
  EXPECT_DOUBLE_EQ(r[1].value, 7);
  EXPECT_DOUBLE_EQ(r[2].value, 5);
  EXPECT_DOUBLE_EQ(r[3].value, (40 * 1000 + 80 * 3000) / 4000.0);
  EXPECT_FALSE(r[4].available);
  // Without range times a rollup is the plain mean; one range passes through.
  EXPECT_DOUBLE_EQ(aggregate_raw({"a__b.ratio"}, {true}, {{2}, {4}}, {})[0].value, 3);
  EXPECT_DOUBLE_EQ(aggregate_raw({"a__b.sum"}, {true}, {{9}}, {})[0].value, 9);
  EXPECT_FALSE(aggregate_raw({"a__b.sum"}, {true}, {}, {})[0].available);
  EXPECT_THROW(aggregate_raw({"a__b.sum"}, {true}, {{1, 2}}, {}), vqt::Error);
  EXPECT_THROW(aggregate_raw({"a__b.sum"}, {true}, {{1}}, {1, 2}), vqt::Error);
}

TEST(UnavailableHint, NamesTheCauseAndTheFix) {
  const std::string priv = counters_unavailable_hint(CUPTI_ERROR_INSUFFICIENT_PRIVILEGES);
  EXPECT_NE(priv.find("administrators"), std::string::npos);
  EXPECT_NE(priv.find("NVreg_RestrictProfilingToAdminUsers=0"), std::string::npos);
  EXPECT_EQ(counters_unavailable_hint(CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES),
            priv);
  EXPECT_NE(counters_unavailable_hint(CUPTI_ERROR_NOT_SUPPORTED).find("gVisor"), std::string::npos);
  EXPECT_NE(counters_unavailable_hint(CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED).find("MIG"),
            std::string::npos);
  EXPECT_NE(counters_unavailable_hint(CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED)
                .find("another profiler"),
            std::string::npos);
  // Plain failures are not "unavailable".
  EXPECT_EQ(counters_unavailable_hint(CUPTI_SUCCESS), "");
  EXPECT_EQ(counters_unavailable_hint(CUPTI_ERROR_INVALID_PARAMETER), "");
  EXPECT_EQ(counters_unavailable_hint(CUPTI_ERROR_UNKNOWN), "");
}
