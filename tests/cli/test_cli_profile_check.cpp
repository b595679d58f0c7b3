// `vqtune profile --check-metrics --chip CHIP`, cpu tier: metric names checked against CUPTI's
// tables for a chip with no GPU (CUPTI's host API only), the table or JSON on stdout, exit 0 when
// all are known and 2 (one stderr line naming the unknown ones) when not; bad flags exit 2.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/run_cli.hpp"

using vqt::test::CliResult;
using vqt::test::run_cli;

namespace {

const char* kKnown = "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum";
const char* kUnknown = "l1tex__no_such_counter.sum";

void expect_one_error(const CliResult& r, const std::string& part) {
  EXPECT_EQ(r.rc, 2) << r.err;
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("vqtune profile: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(part), std::string::npos) << lines[0];
}

}  // namespace

TEST(CliProfileCheck, ProfilesOwnCountersAreKnownOnGh100) {
  const CliResult r = run_cli({"profile", "--check-metrics", "--chip", "GH100"});
  if (r.err.find("without CUPTI") != std::string::npos) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_EQ(r.out.rfind("chip GH100: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("dram__bytes_read.sum"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\nNO "), std::string::npos) << r.out;
}

TEST(CliProfileCheck, UnknownNamesAreTabledThenRefused) {
  const CliResult r = run_cli({"profile", "--check-metrics", "--chip", "gh100", "--metrics",
                               std::string(kKnown) + "," + kUnknown});
  if (r.err.find("without CUPTI") != std::string::npos) GTEST_SKIP() << r.err;
  expect_one_error(r, std::string("has no metric '") + kUnknown + "'");
  EXPECT_NE(r.err.find("chip GH100"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(kKnown), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("1 of 2 --metrics names known"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string("yes    ") + kKnown), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(std::string("NO     ") + kUnknown), std::string::npos) << r.out;
}

TEST(CliProfileCheck, JsonHasEveryNameWithItsDescription) {
  const CliResult r = run_cli({"profile", "--check-metrics", "--chip", "GH100", "--json",
                               "--metrics", std::string(kUnknown) + "," + kKnown});
  if (r.err.find("without CUPTI") != std::string::npos) GTEST_SKIP() << r.err;
  EXPECT_EQ(r.rc, 2) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["chip"], "GH100");
  ASSERT_EQ(j["metrics"].size(), 2u);
  EXPECT_EQ(j["metrics"][0]["name"], kUnknown);
  EXPECT_FALSE(j["metrics"][0]["known"].get<bool>());
  EXPECT_EQ(j["metrics"][1]["name"], kKnown);
  EXPECT_TRUE(j["metrics"][1]["known"].get<bool>());
  EXPECT_FALSE(j["metrics"][1]["description"].get<std::string>().empty());
  EXPECT_EQ(j["unknown"], nlohmann::json::array({kUnknown}));
}

TEST(CliProfileCheck, BadFlagsAreOneLineAndExit2) {
  const CliResult chip = run_cli({"profile", "--check-metrics", "--chip", "XY999"});
  if (chip.err.find("without CUPTI") != std::string::npos) GTEST_SKIP() << chip.err;
  expect_one_error(chip, "--chip");
  EXPECT_TRUE(chip.out.empty()) << chip.out;
  expect_one_error(run_cli({"profile", "--check-metrics"}), "needs --chip");
  expect_one_error(
      run_cli({"profile", "--chip", "GH100", "--vq", "aqlm-3", "--n", "4096", "--k", "4096"}),
      "only with --check-metrics");
  expect_one_error(run_cli({"profile", "--check-metrics", "--chip", "GH100", "--vq", "aqlm-3"}),
                   "--vq");
  expect_one_error(run_cli({"profile", "--check-metrics", "--chip", "GH100", "--csv"}), "--csv");
  expect_one_error(run_cli({"profile", "--check-metrics", "--chip", "GH100", "--metrics", "x"}),
                   "not a metric name");
}
