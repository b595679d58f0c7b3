// cpu tier: `vqtune tune` refuses bad --op / --tokens / --context / --batch / --kv / --vq values
// and impossible combinations with one line naming the flag and exit code 2, before it touches a
// GPU (so this runs on machines without one). Builds without CUDA print that tuning needs CUDA.
#include <gtest/gtest.h>

#include "tests/cli/run_cli.hpp"

using vqt::test::run_cli;

namespace {

bool tune_built() {
  const auto r = run_cli({"tune", "--help"});
  return r.rc == 0;
}

void expect_refused(const std::vector<std::string>& args, const std::string& flag) {
  std::vector<std::string> full = {"tune"};
  full.insert(full.end(), args.begin(), args.end());
  const auto r = run_cli(full);
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  EXPECT_EQ(r.rc, 2) << joined << "\n" << r.err;
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << joined << "\n" << r.err;
  EXPECT_NE(lines[0].find(flag), std::string::npos) << joined << ": " << lines[0];
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace

TEST(CliTune, BadOpsSizesAndCombinationsExitTwo) {
  if (!tune_built()) GTEST_SKIP() << "this build has no `vqtune tune` (no CUDA)";
  expect_refused({"--model", "llama-7b", "--op", "conv"}, "--op");
  expect_refused({"--model", "llama-7b", "--op", ""}, "--op");
  expect_refused({"--model", "llama-7b", "--op", "offload_decode"}, "--op");
  expect_refused({"--model", "llama-7b", "--tokens", "16"}, "--tokens");
  expect_refused({"--model", "llama-7b", "--tokens", "512,x"}, "--tokens");
  expect_refused({"--model", "llama-7b", "--context", "4k"}, "--context");
  expect_refused({"--model", "llama-7b", "--context", "0"}, "--context");
  expect_refused({"--model", "llama-7b", "--op", "gemv", "--batch", "17"}, "--batch");
  expect_refused({"--model", "llama-7b", "--kv", "aqlm-3"}, "--kv");
  expect_refused({"--model", "llama-7b", "--vq", "cq-4"}, "--vq");
  expect_refused({"--model", "llama-9b"}, "--model");
  expect_refused({"--op", "attention", "--n", "4096", "--k", "4096"}, "--model");
  expect_refused({"--op", "gemm"}, "--n");
  expect_refused({"--model", "llama-7b", "--n", "4096"}, "--model");
  expect_refused({"--model", "llama-7b", "--strategy", "best"}, "--strategy");
  expect_refused({"--model", "llama-7b", "--cap-s", "0"}, "--cap-s");
  expect_refused({"--model", "llama-7b", "--data-sets", "0"}, "--data-sets");
  expect_refused({"--model", "llama-7b", "--data-sets", "x"}, "data-sets");
  expect_refused({"--model", "llama-7b", "--shard", "3/2"}, "--shard");
}

TEST(CliTune, HelpNamesTheOpsAndTheirSizes) {
  if (!tune_built()) GTEST_SKIP() << "this build has no `vqtune tune` (no CUDA)";
  const auto r = run_cli({"tune", "--help"});
  for (const char* flag : {"--op", "--tokens", "--context", "--kv", "--batch", "--data-sets"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}
