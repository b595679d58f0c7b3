// `vqtune profile` run as a subprocess, gpu tier: on a GEMV candidate it prints every row, and
// the counted DRAM read bytes are within 10 % of the model's compulsory bytes (codes, codebooks,
// activations and outputs: what a kernel that reads its weights once must move).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/run_cli.hpp"
#include "tests/kernels/gpu_skip.hpp"

using vqt::test::CliResult;
using vqt::test::run_cli;

TEST(CliProfileGpu, GemvCandidateRowsAndDramReads) {
  VQT_SKIP_WITHOUT_GPU();
  const CliResult r = run_cli(
      {"profile", "--vq", "aqlm-2x8", "--n", "8192", "--k", "8192", "--batch", "1", "--json"});
  if (r.rc == 1 && r.err.find("hardware counters are not available") != std::string::npos)
    GTEST_SKIP() << r.err;
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::printf("%s\n", r.out.c_str());
  ASSERT_EQ(j["rows"].size(), 9u);
  EXPECT_TRUE(j["counters"]["error"].is_null());
  for (const auto& row : j["rows"]) {
    if (row["key"] == "smem_bank_conflicts" && !j["counters"]["unavailable_metrics"].empty())
      continue;
    EXPECT_FALSE(row["counted"].is_null()) << row["key"];
  }
  const double compulsory = j["compulsory_hbm_bytes"].get<double>();
  const double read = j["rows"][1]["counted"].get<double>();
  EXPECT_EQ(j["rows"][1]["key"], "dram_read_bytes");
  EXPECT_NEAR(read / compulsory, 1.0, 0.10) << "read " << read << " compulsory " << compulsory;

  // The table form prints the same rows.
  const CliResult t = run_cli({"profile", "--vq", "aqlm-2x8", "--n", "8192", "--k", "8192"});
  ASSERT_EQ(t.rc, 0) << t.err;
  std::printf("%s\n", t.out.c_str());
  for (const char* level :
       {"time", "DRAM read bytes", "DRAM write bytes", "L2 bytes", "L1<->L2 bytes",
        "shared wavefronts", "bank-conflict factor", "bank conflicts", "occupancy (achieved)"})
    EXPECT_NE(t.out.find(level), std::string::npos) << level;
}
