// `vqtune profile` run as a subprocess, gpu tier: on a GEMV candidate it prints every row, and
// the counted DRAM read bytes are within 10 % of the model's compulsory bytes (codes, codebooks,
// activations and outputs: what a kernel that reads its weights once must move). On a GEMM and a
// CQ decode-attention candidate (the model's top-1): every row, no counter NaN or negative, the
// DRAM reads within 0.5x-3x of the compulsory bytes; an unfused GEMM under kernel replay counts
// both kernels (dequantize and cuBLAS: two ranges or more). On the GEMV candidate the L1
// data-pipe wavefronts are within 0.8x-1.25x of the model's and the busiest SM's active cycles
// over the mean are between 1 and 1.3x the model's split of the work.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "kernels/gemm_space.hpp"
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
  ASSERT_EQ(j["rows"].size(), 11u);
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
  // The L1 data pipe: the model's lookups (bank conflicts included), code and x loads against
  // every LSU wavefront counted (fills and epilogue stores are the small rest).
  EXPECT_EQ(j["rows"][9]["key"], "lsu_wavefronts");
  const double lsu = j["rows"][9]["ratio"].get<double>();
  EXPECT_GT(lsu, 0.8) << j["rows"][9];
  EXPECT_LT(lsu, 1.25) << j["rows"][9];
  // The busiest SM's active cycles over the mean: at least 1, and not more unequal than the
  // model's split of the work (SMs with less work run it faster, not slower).
  EXPECT_EQ(j["rows"][10]["key"], "sm_balance");
  const double balance = j["rows"][10]["counted"].get<double>();
  EXPECT_GE(balance, 1.0);
  EXPECT_LE(balance, 1.3 * j["rows"][10]["predicted"].get<double>()) << j["rows"][10];

  // The table form prints the same rows.
  const CliResult t = run_cli({"profile", "--vq", "aqlm-2x8", "--n", "8192", "--k", "8192"});
  ASSERT_EQ(t.rc, 0) << t.err;
  std::printf("%s\n", t.out.c_str());
  for (const char* level :
       {"time", "DRAM read bytes", "DRAM write bytes", "L2 bytes", "L1<->L2 bytes",
        "shared wavefronts", "bank-conflict factor", "bank conflicts", "occupancy (achieved)",
        "L1 data-pipe wavefronts", "SM balance (max/mean)"})
    EXPECT_NE(t.out.find(level), std::string::npos) << level;
}

TEST(CliProfileGpu, NamedMetricsPrintedAsCountedAndUnknownNamesRefused) {
  VQT_SKIP_WITHOUT_GPU();
  const CliResult r =
      run_cli({"profile", "--vq", "aqlm-2x8", "--n", "4096", "--k", "4096", "--json", "--metrics",
               "l1tex__t_requests_pipe_lsu_mem_global_op_ld.sum,sm__cycles_elapsed.max"});
  if (r.rc == 1 && r.err.find("hardware counters are not available") != std::string::npos)
    GTEST_SKIP() << r.err;
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["counters"]["metrics"].size(), 2u) << r.out;
  for (const auto& m : j["counters"]["metrics"]) {
    ASSERT_FALSE(m["value"].is_null()) << m["metric"];
    EXPECT_GT(m["value"].get<double>(), 0.0) << m["metric"];
  }
  const CliResult bad = run_cli({"profile", "--vq", "aqlm-2x8", "--n", "4096", "--k", "4096",
                                 "--metrics", "l1tex__no_such_metric_here.sum"});
  EXPECT_EQ(bad.rc, 2) << bad.err;
  EXPECT_TRUE(bad.out.empty()) << bad.out;
  EXPECT_NE(bad.err.find("l1tex__no_such_metric_here.sum"), std::string::npos) << bad.err;
}

namespace {

// Runs profile with --json; skips when counters are not available here.
nlohmann::json profile_json_of(std::vector<std::string> args, CliResult* out = nullptr) {
  args.push_back("--json");
  const CliResult r = run_cli(args);
  if (out) *out = r;
  if (r.rc == 1 && r.err.find("hardware counters are not available") != std::string::npos)
    return nullptr;
  EXPECT_EQ(r.rc, 0) << r.err;
  if (r.rc != 0) return nullptr;
  std::printf("%s\n", r.out.c_str());
  return nlohmann::json::parse(r.out);
}

// Every row, every counter finite and >= 0; the DRAM reads within [lo, hi] x compulsory.
void expect_sane(const nlohmann::json& j, double lo, double hi) {
  ASSERT_EQ(j["rows"].size(), 11u);
  EXPECT_TRUE(j["counters"]["error"].is_null());
  for (const auto& row : j["rows"]) {
    if (row["key"] == "smem_bank_conflicts" && !j["counters"]["unavailable_metrics"].empty())
      continue;
    ASSERT_FALSE(row["counted"].is_null()) << row["key"];
    const double v = row["counted"].get<double>();
    EXPECT_TRUE(std::isfinite(v) && v >= 0) << row["key"] << " " << v;
    if (!row["predicted"].is_null()) {
      const double p = row["predicted"].get<double>();
      EXPECT_TRUE(std::isfinite(p) && p >= 0) << row["key"] << " predicted " << p;
    }
  }
  for (const auto& [key, raw] : j["counters"]["raw"].items()) {
    if (raw["value"].is_null()) continue;
    const double v = raw["value"].get<double>();
    EXPECT_TRUE(std::isfinite(v) && v >= 0) << key << " " << v;
  }
  const double compulsory = j["compulsory_hbm_bytes"].get<double>();
  EXPECT_EQ(j["rows"][1]["key"], "dram_read_bytes");
  const double read = j["rows"][1]["counted"].get<double>();
  EXPECT_GE(read / compulsory, lo) << "read " << read << " compulsory " << compulsory;
  EXPECT_LE(read / compulsory, hi) << "read " << read << " compulsory " << compulsory;
}

}  // namespace

TEST(CliProfileGpu, GemmTop1CandidateRowsAndDramReads) {
  VQT_SKIP_WITHOUT_GPU();
  const auto j = profile_json_of({"profile", "--op", "gemm", "--vq", "aqlm-2x8", "--n", "4096",
                                  "--k", "4096", "--tokens", "512"});
  if (j.is_null()) {
    if (!::testing::Test::HasFailure()) GTEST_SKIP() << "hardware counters are not available";
    return;
  }
  EXPECT_EQ(j["problem"].get<std::string>().rfind("gemm:m512:n4096:k4096", 0), 0u);
  EXPECT_EQ(j["candidate_source"], "model top-1 (implementable)");
  expect_sane(j, 0.5, 3.0);
}

TEST(CliProfileGpu, GemmUnfusedCountsBothKernels) {
  VQT_SKIP_WITHOUT_GPU();
  const vqt::Problem p =
      vqt::Problem::matmul(vqt::Op::gemm, vqt::parse_vq("aqlm-2x8"), 512, 4096, 4096);
  std::string key;
  for (const auto& c : vqt::gemm_space_candidates(p))
    if (c.fusion == vqt::Fusion::unfused) key = c.key();
  ASSERT_FALSE(key.empty());
  const auto j =
      profile_json_of({"profile", "--op", "gemm", "--vq", "aqlm-2x8", "--n", "4096", "--k", "4096",
                       "--tokens", "512", "--candidate", key, "--replay", "kernel"});
  if (j.is_null()) {
    if (!::testing::Test::HasFailure()) GTEST_SKIP() << "hardware counters are not available";
    return;
  }
  EXPECT_EQ(j["candidate"], key);
  EXPECT_NE(j["note"].get<std::string>().find("cuBLAS"), std::string::npos);
  EXPECT_GE(j["counters"]["ranges"].get<int>(), 2) << "the range holds dequantize + cuBLAS";
  // cuBLAS reads the dequantized fp16 W (32 MiB) through the L2 at least once.
  EXPECT_GE(j["rows"][3]["counted"].get<double>(), 4096.0 * 4096.0 * 2.0);
  EXPECT_TRUE(j["rows"][5]["predicted"].is_null());  // no shared-memory figure for cuBLAS
}

TEST(CliProfileGpu, AttentionTop1CandidateRowsAndDramReads) {
  VQT_SKIP_WITHOUT_GPU();
  const auto j = profile_json_of({"profile", "--op", "attention", "--kv", "cq-4", "--model",
                                  "llama-7b", "--batch", "8", "--context", "4096"});
  if (j.is_null()) {
    if (!::testing::Test::HasFailure()) GTEST_SKIP() << "hardware counters are not available";
    return;
  }
  EXPECT_EQ(j["problem"].get<std::string>().rfind("attention_decode", 0), 0u) << j["problem"];
  EXPECT_TRUE(j["rows"][6]["predicted"].is_null());  // no bank-conflict figure for attention
  expect_sane(j, 0.5, 3.0);

  // The table form names the rows too.
  const CliResult t = run_cli({"profile", "--op", "attention", "--kv", "cq-4", "--model",
                               "llama-7b", "--batch", "8", "--context", "4096"});
  ASSERT_EQ(t.rc, 0) << t.err;
  std::printf("%s\n", t.out.c_str());
  for (const char* level : {"DRAM read bytes", "shared wavefronts", "occupancy (achieved)"})
    EXPECT_NE(t.out.find(level), std::string::npos) << level;
}
