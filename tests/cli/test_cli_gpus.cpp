#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli/run_cli.hpp"

using vqt::test::run_cli;

TEST(CliGpus, TableListsEveryGpuWithSources) {
  const auto r = run_cli({"gpus"});
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* k : {"h100-sxm", "h100-pcie", "h200", "a100-80gb-sxm", "a100-40gb-pcie", "l40s",
                        "a40", "rtx-4090", "rtx-3090", "a10", "rtx-6000-ada"})
    EXPECT_NE(r.out.find(k), std::string::npos) << k;
  EXPECT_NE(r.out.find("datasheet"), std::string::npos);
  EXPECT_NE(r.out.find("estimate"), std::string::npos);
  EXPECT_TRUE(r.err.empty());
}

TEST(CliGpus, JsonAndCsv) {
  const auto j = run_cli({"gpus", "--json"});
  ASSERT_EQ(j.rc, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_TRUE(doc.is_array());
  EXPECT_GE(doc.size(), 11u);
  for (const auto& g : doc) {
    EXPECT_FALSE(g["source"].get<std::string>().empty());
    EXPECT_EQ(g["ceilings"]["hbm_bw_bytes_per_s"]["source"], "datasheet");
    EXPECT_GT(g["ceilings"]["hbm_bw_bytes_per_s"]["value"].get<double>(), 1e11);
  }
  const auto c = run_cli({"gpus", "--csv"});
  ASSERT_EQ(c.rc, 0);
  std::size_t lines = 0;
  for (char ch : c.out) lines += ch == '\n';
  EXPECT_EQ(lines, doc.size() + 1);
  EXPECT_EQ(c.out.rfind("key,name,cc,", 0), 0u);
}

TEST(CliGpus, BadFlags) {
  const auto r = run_cli({"gpus", "--json", "--csv"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(r.out.empty());
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find("--json"), std::string::npos);
  EXPECT_EQ(run_cli({"gpus", "--bogus"}).rc, 2);
}
