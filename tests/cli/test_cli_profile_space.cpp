// `vqtune profile --op gemm|attention` run as a subprocess, cpu tier of a CUDA build: a candidate
// key that is not one of the kernels' own configurations (kernels/gemm_space.hpp,
// attention_space.hpp, the space `vqtune tune` times) is one line naming --candidate, exit 2,
// before a GPU is touched; a key from the space passes that check (and, without a GPU, ends at
// "no CUDA device").
#include <gtest/gtest.h>

#include <filesystem>

#include "kernels/attention_space.hpp"
#include "kernels/gemm_space.hpp"
#include "tests/cli/run_cli.hpp"

using vqt::test::CliResult;
using vqt::test::run_cli;

namespace {

const char* kGemvKey =
    "reg=0,smem=256,copies=1,l1bypass=0,cbsplit=1,fusion=shuffle,dataflow=token_split,"
    "tile=1x64x256,threads=128,splitk=1";

std::vector<std::string> gemm_args(const std::string& key) {
  return {"profile", "--op", "gemm",     "--vq", "aqlm-2x8",    "--n", "4096",
          "--k",     "4096", "--tokens", "512",  "--candidate", key};
}

std::vector<std::string> attention_args(const std::string& key) {
  return {"profile", "--op", "attention", "--kv", "cq-4",        "--model", "llama-7b",
          "--batch", "8",    "--context", "4096", "--candidate", key};
}

void expect_one_line(const CliResult& r, const std::string& what) {
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("vqtune profile: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(what), std::string::npos) << lines[0];
}

bool machine_has_gpu() {
  return std::filesystem::exists("/dev/nvidiactl") || std::filesystem::exists("/dev/nvidia0");
}

}  // namespace

TEST(CliProfileSpace, KeysOutsideTheKernelsSpaceAreRefused) {
  expect_one_line(run_cli(gemm_args(kGemvKey)), "--candidate: not one of the");
  const vqt::Problem gemm =
      vqt::Problem::matmul(vqt::Op::gemm, vqt::parse_vq("aqlm-2x8"), 512, 4096, 4096);
  const std::string gemm_key = vqt::gemm_space_candidates(gemm).front().key();
  expect_one_line(run_cli(attention_args(gemm_key)), "decode-attention configurations");
  expect_one_line(run_cli(attention_args(kGemvKey)), "--candidate");
}

TEST(CliProfileSpace, KeysFromTheSpacePassWithoutAGpuToNoCudaDevice) {
  if (machine_has_gpu()) GTEST_SKIP() << "this machine has a GPU (the gpu tier runs profile)";
  const vqt::Problem gemm =
      vqt::Problem::matmul(vqt::Op::gemm, vqt::parse_vq("aqlm-2x8"), 512, 4096, 4096);
  const vqt::Problem att = vqt::Problem::attention(vqt::parse_vq("cq-4"), 8, 32, 32, 128, 4096);
  const auto gemm_space = vqt::gemm_space_candidates(gemm);
  const auto att_space = vqt::attention_space_candidates(att);
  ASSERT_FALSE(gemm_space.empty());
  ASSERT_FALSE(att_space.empty());
  expect_one_line(run_cli(gemm_args(gemm_space.front().key())), "no CUDA device");
  expect_one_line(run_cli(gemm_args(gemm_space.back().key())), "no CUDA device");
  expect_one_line(run_cli(attention_args(att_space.front().key())), "no CUDA device");
}
