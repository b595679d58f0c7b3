// `vqtune profile` run as a subprocess, cpu tier: every bad flag is one stderr line naming the
// flag with exit code 2 and nothing on stdout, checked before any GPU is touched; without a GPU
// a valid command is one line "no CUDA device" with exit code 2.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/cli/run_cli.hpp"

using vqt::test::CliResult;
using vqt::test::run_cli;

namespace {

std::vector<std::string> profile_args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"profile", "--vq", "aqlm-2x8", "--n", "4096", "--k", "4096"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

void expect_bad(const std::vector<std::string>& args, const std::string& flag,
                const std::string& also = "") {
  const CliResult r = run_cli(args);
  std::string all;
  for (const auto& a : args) all += a + " ";
  SCOPED_TRACE(all);
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("vqtune profile: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(flag), std::string::npos) << lines[0];
  if (!also.empty()) {
    EXPECT_NE(lines[0].find(also), std::string::npos) << lines[0];
  }
}

bool machine_has_gpu() {
  return std::filesystem::exists("/dev/nvidiactl") || std::filesystem::exists("/dev/nvidia0");
}

}  // namespace

TEST(CliProfile, IsListedAndHasHelp) {
  const CliResult list = run_cli({"--help"});
  EXPECT_EQ(list.rc, 0);
  EXPECT_NE(list.out.find("profile"), std::string::npos) << list.out;
  const CliResult help = run_cli({"profile", "--help"});
  EXPECT_EQ(help.rc, 0) << help.err;
  for (const char* flag : {"--op", "--vq", "--n", "--k", "--batch", "--tokens", "--kv", "--context",
                           "--model", "--heads", "--head-dim", "--candidate", "--db", "--replay",
                           "--json", "--check-metrics", "--chip"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

TEST(CliProfile, MissingOrBadShapeFlags) {
  expect_bad({"profile", "--n", "4096", "--k", "4096"}, "--vq");
  expect_bad({"profile", "--vq", "aqlm-3", "--k", "4096"}, "--n");
  expect_bad({"profile", "--vq", "aqlm-3", "--n", "4096"}, "--k");
  expect_bad(profile_args({"--batch", "17"}), "--batch", "1..16");
  expect_bad(profile_args({"--batch", "0"}), "--batch");
  expect_bad({"profile", "--vq", "no-such-preset", "--n", "4096", "--k", "4096"}, "--vq");
  expect_bad({"profile", "--vq", "aqlm-3", "--n", "4096", "--k", "4095"}, "k");
  expect_bad(profile_args({"--n", "x"}), "--n");
}

TEST(CliProfile, UnknownOrUnprofiledOpsAreRefused) {
  expect_bad(profile_args({"--op", "conv"}), "--op", "accepted");
  expect_bad(profile_args({"--op", "offload_decode"}), "--op", "gemv, gemm, attention");
}

namespace {

std::vector<std::string> gemm_args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"profile", "--op", "gemm", "--vq", "aqlm-2x8",
                                "--n",     "4096", "--k",  "4096"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::vector<std::string> attention_args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"profile", "--op",      "attention", "--kv",
                                "cq-4",    "--context", "4096"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

}  // namespace

TEST(CliProfile, GemmFlagErrors) {
  expect_bad(gemm_args({}), "--tokens", "required");
  expect_bad(gemm_args({"--tokens", "16"}), "--tokens", "32");
  expect_bad(gemm_args({"--tokens", "x"}), "--tokens");
  expect_bad(gemm_args({"--tokens", "512", "--batch", "4"}), "--batch", "--tokens");
  expect_bad(gemm_args({"--tokens", "512", "--context", "4096"}), "--context");
  expect_bad(gemm_args({"--tokens", "512", "--kv", "cq-4"}), "--kv");
  expect_bad({"profile", "--op", "gemm", "--n", "4096", "--k", "4096", "--tokens", "512"}, "--vq");
  expect_bad({"profile", "--op", "gemm", "--vq", "aqlm-3", "--k", "4096", "--tokens", "512"},
             "--n");
  expect_bad(
      {"profile", "--op", "gemm", "--vq", "cq-4", "--n", "4096", "--k", "4096", "--tokens", "512"},
      "--vq", "KV-cache");
  expect_bad({"profile", "--op", "gemm", "--vq", "aqlm-3", "--n", "4096", "--k", "4095", "--tokens",
              "512"},
             "k");
  expect_bad(gemm_args({"--tokens", "512", "--candidate", "nonsense"}), "--candidate");
}

TEST(CliProfile, AttentionFlagErrors) {
  expect_bad(attention_args({}), "--model or --heads");
  expect_bad({"profile", "--op", "attention", "--context", "4096", "--model", "llama-7b"}, "--kv");
  expect_bad(attention_args({"--model", "llama-7b", "--vq", "aqlm-3"}), "--vq");
  expect_bad(attention_args({"--model", "llama-7b", "--tokens", "512"}), "--tokens");
  expect_bad(attention_args({"--model", "llama-7b", "--n", "4096"}), "--n");
  expect_bad({"profile", "--op", "attention", "--kv", "aqlm-3", "--context", "4096", "--model",
              "llama-7b"},
             "--kv", "weight format");
  expect_bad({"profile", "--op", "attention", "--kv", "cq-4", "--model", "llama-7b"}, "--context");
  expect_bad(attention_args({"--model", "no-such-model"}), "--model");
  expect_bad(attention_args({"--model", "llama-7b", "--heads", "32/8"}), "--heads");
  expect_bad(attention_args({"--heads", "32/5"}), "--heads");
  expect_bad(attention_args({"--heads", "32/8", "--head-dim", "0"}), "--head-dim");
  expect_bad(attention_args({"--model", "llama-7b", "--batch", "0"}), "--batch");
  expect_bad(
      {"profile", "--op", "attention", "--kv", "cq-4", "--context", "0", "--model", "llama-7b"},
      "--context");
}

TEST(CliProfile, GemvRefusesFlagsOfOtherOps) {
  expect_bad(profile_args({"--tokens", "512"}), "--tokens", "not a gemv flag");
  expect_bad(profile_args({"--context", "4096"}), "--context", "not a gemv flag");
  expect_bad(profile_args({"--model", "llama-7b"}), "--model");
}

TEST(CliProfile, CandidateKeyErrorsNameTheFlag) {
  // Candidate::key() format: reg=0,smem=256,copies=1,l1bypass=0,cbsplit=1,fusion=shuffle,
  // dataflow=token_split,tile=1x64x256,threads=128,splitk=1
  expect_bad(profile_args({"--candidate", "nonsense"}), "--candidate", "has no '='");
  expect_bad(profile_args({"--candidate", "reg=0,smem=256"}), "--candidate", "missing");
  expect_bad(profile_args({"--candidate",
                           "reg=0,smem=x,copies=1,l1bypass=0,cbsplit=1,fusion=shuffle,"
                           "dataflow=token_split,tile=1x64x256,threads=128,splitk=1"}),
             "--candidate", "smem");
  expect_bad(profile_args({"--candidate",
                           "reg=0,smem=256,copies=1,l1bypass=0,cbsplit=1,fusion=warp,"
                           "dataflow=token_split,tile=1x64x256,threads=128,splitk=1"}),
             "--candidate", "fusion");
  expect_bad(profile_args({"--candidate",
                           "reg=0,smem=256,copies=1,l1bypass=0,cbsplit=1,fusion=shuffle,"
                           "dataflow=token_split,tile=1x64,threads=128,splitk=1"}),
             "--candidate", "tile");
}

TEST(CliProfile, OtherFlagErrors) {
  expect_bad(profile_args({"--replay", "application"}), "--replay", "user, kernel");
  expect_bad(profile_args({"--csv"}), "--csv");
  expect_bad(profile_args({"--json", "--csv"}), "--json");
  expect_bad(profile_args({"--cap-s", "0"}), "--cap-s");
  expect_bad(profile_args({"--data-sets", "0"}), "--data-sets", "accepted: 1..64");
  expect_bad(profile_args({"--data-sets", "65"}), "--data-sets", "out of range");
  expect_bad(profile_args({"--device", "-1"}), "--device");
  expect_bad(profile_args({"--no-such-flag"}), "no-such-flag");
  expect_bad(profile_args({"--metrics", ""}), "--metrics", "no metric names");
  expect_bad(profile_args({"--metrics", " , "}), "--metrics", "no metric names");
  expect_bad(profile_args({"--metrics", "dram__bytes_read.sum,DRAM_BYTES"}), "--metrics",
             "'DRAM_BYTES' is not a metric name");
  expect_bad(profile_args({"--metrics", "l1tex.sum"}), "--metrics", "not a metric name");
  expect_bad(profile_args({"--metrics", "l1tex__t_requests.sum;rm"}), "--metrics");
}

TEST(CliProfile, WithoutAGpuSaysNoCudaDevice) {
  if (machine_has_gpu()) GTEST_SKIP() << "this machine has a GPU (the gpu tier runs profile)";
  for (const auto& args : {profile_args({}), gemm_args({"--tokens", "512"}),
                           attention_args({"--model", "llama-7b", "--batch", "8"}),
                           attention_args({"--heads", "32/8", "--head-dim", "128"})}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    const auto lines = r.err_lines();
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find("no CUDA device"), std::string::npos) << lines[0];
  }
}
