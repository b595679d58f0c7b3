// The verbs that run kernels (measure, tune) on a machine or build without the GPU they name:
// one line saying so, exit code 2, nothing on stdout and no database created. A device index no
// machine has (99) gives the same answer on a GPU machine, so these run everywhere.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/cli/run_cli.hpp"

using vqt::test::CliResult;
using vqt::test::run_cli;

namespace {

void expect_no_device(const std::vector<std::string>& args, const std::string& db) {
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_TRUE(lines[0].find("no CUDA device") != std::string::npos ||
              lines[0].find("--device") != std::string::npos)
      << lines[0];
  EXPECT_FALSE(std::filesystem::exists(db)) << db;
}

}  // namespace

TEST(CliGpuVerbs, MeasureWithoutTheDeviceExitsTwo) {
  const auto dir = vqt::test::fresh_dir("gpu_verbs");
  const std::string db = (dir / "m.db").string();
  expect_no_device({"measure", "--device", "99", "--db", db}, db);
  std::filesystem::remove_all(dir);
}

TEST(CliGpuVerbs, MeasureNamesAnUnknownCeilingBeforeLookingForTheDevice) {
  // A typo in --only is the user's to fix on any machine: it is named, not "no CUDA device".
  const auto dir = vqt::test::fresh_dir("gpu_verbs");
  const std::string db = (dir / "m.db").string();
  const CliResult r = run_cli({"measure", "--device", "99", "--only", "hbm_raed", "--db", db});
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_NE(lines[0].find("hbm_raed"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("no CUDA device"), std::string::npos) << lines[0];
  EXPECT_FALSE(std::filesystem::exists(db)) << db;
  std::filesystem::remove_all(dir);
}

TEST(CliGpuVerbs, TuneWithoutTheDeviceExitsTwo) {
  const auto dir = vqt::test::fresh_dir("gpu_verbs");
  const std::string db = (dir / "t.db").string();
  expect_no_device(
      {"tune", "--n", "4096", "--k", "4096", "--vq", "aqlm-3", "--device", "99", "--db", db}, db);
  std::filesystem::remove_all(dir);
}

TEST(CliGpuVerbs, TuneRejectsUnreadableOrInvalidCoefficientsFirst) {
  // A build without CUDA has no `vqtune tune` to parse --coefficients (it says so and exits 2).
  if (run_cli({"tune", "--help"}).rc != 0) GTEST_SKIP() << "this build has no `vqtune tune`";
  const auto dir = vqt::test::fresh_dir("gpu_verbs");
  const std::string db = (dir / "t.db").string();
  const std::string bad = (dir / "bad.json").string();
  { std::ofstream(bad) << "{\"hbm_efficiency\": 7}"; }
  for (const std::string& f : {(dir / "missing.json").string(), bad}) {
    const CliResult r =
        run_cli({"tune", "--n", "4096", "--k", "4096", "--coefficients", f, "--db", db});
    EXPECT_EQ(r.rc, 2) << r.err;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err_lines()[0].find("coefficient"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(db));
  }
  std::filesystem::remove_all(dir);
}
