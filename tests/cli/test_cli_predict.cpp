// `vqtune predict` run as a subprocess: bad input (one stderr line naming the flag, exit code 2,
// nothing on stdout, nothing cached) and the table / JSON / CSV / --model outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "tests/cli/run_cli.hpp"
#include "vq/safetensors.hpp"

using vqt::test::CliResult;
using vqt::test::fresh_dir;
using vqt::test::run_cli;
namespace fs = std::filesystem;

namespace {

// A small aqlm-3 tensor with a skewed (geometric) index distribution, written as a VQ file.
std::string aqlm3_file() {
  static const std::string path = [] {
    vqt::VqTensor t;
    t.config = vqt::parse_vq("aqlm-3");
    t.rows = 64;
    t.cols = 256;
    std::mt19937 rng(std::random_device{}());
    std::geometric_distribution<int> geo(0.01);
    t.codes.resize(std::size_t(t.rows * (t.cols / 8) * 2));
    for (auto& c : t.codes) c = std::uint16_t(std::min(geo(rng), 4095));
    std::normal_distribution<float> nd;
    t.codebooks.resize(std::size_t(2 * 4096 * 8));
    for (auto& x : t.codebooks) x = nd(rng);
    const auto p = (fresh_dir("vqfile") / "aqlm3.safetensors").string();
    vqt::write_vq_safetensors(p, t);
    return p;
  }();
  return path;
}

std::vector<std::string> predict_args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"predict", "--gpu",     "h100-sxm",   "--vq",
                                "aqlm-3",  "--shape",   "11008x4096", "--batch",
                                "1",       "--vq-file", aqlm3_file()};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Bad input: exit 2, exactly one line on stderr naming `flag`, nothing on stdout, nothing cached.
void expect_bad(std::vector<std::string> args, const std::string& flag,
                const std::string& also = "") {
  const fs::path cache = fresh_dir("badcache");
  args.push_back("--cache-dir");
  args.push_back((cache / "sub").string());
  const CliResult r = run_cli(args);
  std::string all;
  for (const auto& a : args) all += a + " ";
  SCOPED_TRACE(all);
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
  EXPECT_NE(r.err.find(flag), std::string::npos) << r.err;
  if (!also.empty()) {
    EXPECT_NE(r.err.find(also), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(cache / "sub"));
  fs::remove_all(cache);
}

std::vector<std::string> synthetic_args(std::vector<std::string> a) {
  a.insert(a.begin(), "predict");
  return a;
}

}  // namespace

TEST(CliPredictBadInput, UnknownGpuOrPresetListsWhatIsAccepted) {
  expect_bad(synthetic_args({"--gpu", "v100", "--vq", "aqlm-3", "--shape", "4096x4096"}), "--gpu",
             "h100-sxm");
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "aqlm-9", "--shape", "4096x4096"}),
             "--vq", "aqlm-3");
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "aqlm-3", "--model", "gpt-9"}), "--model",
             "llama-7b");
  expect_bad(synthetic_args(
                 {"--gpu", "h100-sxm", "--vq", "aqlm-3", "--op", "conv", "--shape", "4096x4096"}),
             "--op", "gemv");
  expect_bad(synthetic_args({"--vq", "aqlm-3", "--shape", "4096x4096"}), "--gpu", "h100-sxm");
}

TEST(CliPredictBadInput, MalformedZeroNegativeAbsurdShapes) {
  for (const char* s : {"0x4096", "11008x", "x4096", "1e9x4096", "1000000000x4096", "-5x4096",
                        "11008x4096x2", "abc", "4096*4096", "11008x0"})
    expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "aqlm-3", "--shape", s}), "--shape");
  // v = 8 does not divide K = 4100.
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "aqlm-3", "--shape", "11008x4100"}),
             "--shape", "vector size");
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "aqlm-3"}), "--shape");
  // A KV-cache format on a weight GEMV names --vq, not the shape.
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "cq-2", "--shape", "4096x4096"}), "--vq",
             "attention_decode");
}

TEST(CliPredictBadInput, BatchOutsideOneToSixteenForGemv) {
  for (const char* b : {"0", "17", "-1", "1.5", "many"})
    expect_bad(synthetic_args(
                   {"--gpu", "h100-sxm", "--vq", "aqlm-3", "--shape", "4096x4096", "--batch", b}),
               "--batch");
  expect_bad(
      synthetic_args({"--gpu", "h100-sxm", "--vq", "aqlm-3", "--shape", "4096x4096", "--top", "0"}),
      "--top");
}

TEST(CliPredictBadInput, UnreadableOrCorruptVqFile) {
  const fs::path d = fresh_dir("corrupt");
  expect_bad(predict_args({"--vq-file", (d / "missing.safetensors").string()}), "--vq-file");
  const auto corrupt = d / "corrupt.safetensors";
  std::ofstream(corrupt, std::ios::binary) << "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":";
  expect_bad(predict_args({"--vq-file", corrupt.string()}), "--vq-file");
  // A valid file whose codebooks do not match --vq.
  expect_bad({"predict", "--gpu", "h100-sxm", "--vq", "aqlm-2x8", "--shape", "4096x4096",
              "--vq-file", aqlm3_file()},
             "--vq-file");
  fs::remove_all(d);
}

TEST(CliPredictBadInput, ExclusiveAndUnknownFlags) {
  expect_bad(predict_args({"--json", "--csv"}), "--json");
  expect_bad(predict_args({"--model", "llama-7b"}), "--model");  // with --shape
  const CliResult r = run_cli(predict_args({"--bogus"}));
  EXPECT_EQ(r.rc, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err_lines().size(), 1u);
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "cq-2", "--op", "attention_decode",
                             "--context", "0", "--heads", "32/8"}),
             "--context");
  expect_bad(synthetic_args({"--gpu", "h100-sxm", "--vq", "cq-2", "--op", "attention_decode",
                             "--context", "4096", "--heads", "32/5"}),
             "--heads");
}

TEST(CliPredict, TableRanksAndExplains) {
  const CliResult r = run_cli(predict_args({"--top", "5"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("histogram: file:"), std::string::npos);
  EXPECT_NE(r.out.find("ideal:"), std::string::npos);
  EXPECT_NE(r.out.find("why:"), std::string::npos);
  EXPECT_NE(r.out.find("winner:    reg="), std::string::npos);
  int rows = 0;
  std::istringstream is(r.out);
  for (std::string line; std::getline(is, line);)
    if (line.size() > 4 && line.find_first_not_of(' ') < 4 && std::isdigit(line[3])) ++rows;
  EXPECT_EQ(rows, 5) << r.out;
}

TEST(CliPredict, JsonIsRankedAndNeverBelowIdeal) {
  const CliResult r = run_cli(predict_args({"--top", "7", "--json"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["histogram_source"].get<std::string>().rfind("file:", 0), 0u);
  ASSERT_EQ(j["candidates"].size(), 7u);
  double prev = 0;
  for (const auto& c : j["candidates"]) {
    const double t = c["time_s"].get<double>();
    EXPECT_GE(t, prev);
    EXPECT_GE(t, c["ideal_s"].get<double>());
    EXPECT_LE(c["placement"]["n_reg"].get<int>(), c["placement"]["n_smem"].get<int>());
    prev = t;
  }
  EXPECT_FALSE(j["why"].get<std::string>().empty());
}

TEST(CliPredict, CsvHasOneRowPerCandidate) {
  const CliResult r = run_cli(predict_args({"--top", "3", "--csv"}));
  ASSERT_EQ(r.rc, 0) << r.err;
  std::size_t lines = 0;
  for (char ch : r.out) lines += ch == '\n';
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ(r.out.rfind("rank,time_s,", 0), 0u);
}

TEST(CliPredict, ModelExpandsToLayersWithATotalPerToken) {
  const CliResult r = run_cli({"predict", "--gpu", "h100", "--vq", "aqlm-3", "--model", "llama-7b",
                               "--batch", "1", "--vq-file", aqlm3_file()});
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* l : {"qkv", "gate/up", "down", "per token (32 layers)"})
    EXPECT_NE(r.out.find(l), std::string::npos) << l;
  const CliResult j = run_cli({"predict", "--gpu", "h100", "--vq", "aqlm-3", "--model", "llama-7b",
                               "--vq-file", aqlm3_file(), "--json"});
  ASSERT_EQ(j.rc, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["layers"].size(), 4u);
  double sum = 0;
  for (const auto& l : doc["layers"])
    sum += l["count_per_layer"].get<int>() * l["best"]["time_s"].get<double>();
  EXPECT_NEAR(doc["per_token_s"].get<double>(), 32 * sum, 1e-12);
}

TEST(CliPredict, SyntheticHistogramIsCachedAndNamed) {
  const fs::path cache = fresh_dir("cache");
  const std::vector<std::string> args = {"predict", "--gpu",   "a100",        "--vq",
                                         "quip#-4", "--shape", "512x512",     "--top",
                                         "2",       "--json",  "--cache-dir", cache.string()};
  const CliResult r = run_cli(args);
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["histogram_source"].get<std::string>().rfind("synthetic:512x512", 0), 0u);
  EXPECT_FALSE(fs::is_empty(cache));
  const CliResult again = run_cli(args);
  EXPECT_EQ(again.out, r.out);
  fs::remove_all(cache);
}

TEST(CliPredict, AttentionDecode) {
  const fs::path cache = fresh_dir("attn");
  const CliResult r = run_cli({"predict", "--gpu", "h100-sxm", "--vq", "cq-2", "--op",
                               "attention_decode", "--context", "512", "--heads", "32/8", "--batch",
                               "4", "--top", "3", "--cache-dir", cache.string()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("attention_decode"), std::string::npos);
  EXPECT_NE(r.out.find("why:"), std::string::npos);
  fs::remove_all(cache);
}

TEST(CliPredict, CoefficientsFileChangesThePredictionAndIsValidated) {
  const fs::path d = fresh_dir("coef");
  std::ofstream(d / "slow.json") << "{\"hbm_efficiency\": 0.2}";
  std::ofstream(d / "bad.json") << "{\"hbm_efficiency\": 7}";
  auto time_of = [](const CliResult& r) {
    return nlohmann::json::parse(r.out)["candidates"][0]["time_s"].get<double>();
  };
  const CliResult base = run_cli(predict_args({"--top", "1", "--json"}));
  const CliResult slow =
      run_cli(predict_args({"--top", "1", "--json", "--coefficients", (d / "slow.json").string()}));
  ASSERT_EQ(base.rc, 0) << base.err;
  ASSERT_EQ(slow.rc, 0) << slow.err;
  EXPECT_GT(time_of(slow), time_of(base));
  expect_bad(predict_args({"--coefficients", (d / "bad.json").string()}), "--coefficients",
             "hbm_efficiency");
  expect_bad(predict_args({"--coefficients", (d / "missing.json").string()}), "--coefficients");
  fs::remove_all(d);
}
