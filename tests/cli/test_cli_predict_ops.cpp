// `vqtune predict` beyond one GEMV: a model's GEMM layers and its decode attention (totals checked
// against the layers and against first-principles floors), and --vq-file details (a stored index
// histogram is what predict uses; a file whose tensor data is cut short is refused).
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
using vqt::test::slurp;
namespace fs = std::filesystem;

namespace {

// A small aqlm-3 tensor with uniform random codes; `stored` is written as its histogram if given.
std::string aqlm3_file(const fs::path& dir, const vqt::IndexHistogram* stored = nullptr) {
  vqt::VqTensor t;
  t.config = vqt::parse_vq("aqlm-3");
  t.rows = 32;
  t.cols = 128;
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> any(0, 4095);
  t.codes.resize(std::size_t(t.rows * (t.cols / 8) * 2));
  for (auto& c : t.codes) c = std::uint16_t(any(rng));
  t.codebooks.assign(std::size_t(2 * 4096 * 8), 0.25f);
  const auto p = (dir / (stored ? "with_hist.safetensors" : "codes.safetensors")).string();
  vqt::write_vq_safetensors(p, t, stored);
  return p;
}

nlohmann::json run_json(std::vector<std::string> args) {
  args.push_back("--json");
  const CliResult r = run_cli(args);
  EXPECT_EQ(r.rc, 0) << r.err;
  return r.rc == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

double ceiling(const nlohmann::json& j, const char* name) {
  return j["gpu"]["ceilings"][name]["value"].get<double>();
}

// per_token_s = layers x sum(count x best time); every best time at or above its ideal.
void expect_consistent_totals(const nlohmann::json& j, int layers) {
  double sum = 0, ideal = 0, dense = 0;
  for (const auto& l : j["layers"]) {
    const int count = l["count_per_layer"].get<int>();
    const double t = l["best"]["time_s"].get<double>();
    EXPECT_GE(t, l["ideal_s"].get<double>() * (1 - 1e-12)) << l["name"];
    EXPECT_GT(l["dense_fp16_s"].get<double>(), 0) << l["name"];
    sum += count * t;
    ideal += count * l["ideal_s"].get<double>();
    dense += count * l["dense_fp16_s"].get<double>();
  }
  EXPECT_NEAR(j["per_layer_s"].get<double>(), sum, 1e-12);
  EXPECT_NEAR(j["per_token_s"].get<double>(), layers * sum, 1e-12);
  EXPECT_NEAR(j["ideal_per_token_s"].get<double>(), layers * ideal, 1e-12);
  EXPECT_NEAR(j["dense_fp16_per_token_s"].get<double>(), layers * dense, 1e-12);
}

}  // namespace

TEST(CliPredictOps, ModelGemmTotalsAreConsistentAndAboveTheFlopFloor) {
  const fs::path d = fresh_dir("gemm");
  const std::string file = aqlm3_file(d);
  const nlohmann::json j = run_json({"predict", "--gpu", "h100", "--vq", "aqlm-3", "--op", "gemm",
                                     "--model", "llama-7b", "--tokens", "2048", "--vq-file", file});
  ASSERT_FALSE(j.is_null());
  ASSERT_EQ(j["layers"].size(), 4u);
  expect_consistent_totals(j, 32);
  // llama-7b: hidden 4096, intermediate 11008, 32 x 128 query heads and 32 KV heads.
  const double h = 4096, i = 11008, m = 2048;
  const double macs = m * (3 * h * h + h * h + 2 * i * h + h * i);
  const double floor_s = 32 * 2 * macs / ceiling(j, "fp16_tensor_flops_per_s");
  EXPECT_GE(j["ideal_per_token_s"].get<double>(), floor_s * (1 - 1e-9));
  EXPECT_GE(j["per_token_s"].get<double>(), floor_s);
  // Sane: 2048 tokens of llama-7b are tens of ms on an H100, not seconds.
  EXPECT_LT(j["per_token_s"].get<double>(), 20 * floor_s);
  // The same model at batch 1 (GEMV) costs less than 2048 tokens, more than nothing.
  const nlohmann::json gemv = run_json(
      {"predict", "--gpu", "h100", "--vq", "aqlm-3", "--model", "llama-7b", "--vq-file", file});
  ASSERT_FALSE(gemv.is_null());
  expect_consistent_totals(gemv, 32);
  EXPECT_LT(gemv["per_token_s"].get<double>(), j["per_token_s"].get<double>());
  // Table: the total line names the layer count.
  const CliResult t = run_cli({"predict", "--gpu", "h100", "--vq", "aqlm-3", "--op", "gemm",
                               "--model", "llama-7b", "--tokens", "2048", "--vq-file", file});
  ASSERT_EQ(t.rc, 0) << t.err;
  for (const char* l : {"qkv", "gate/up", "down", "gemm", "per token (32 layers)"})
    EXPECT_NE(t.out.find(l), std::string::npos) << l << "\n" << t.out;
  fs::remove_all(d);
}

TEST(CliPredictOps, ModelAttentionTotalsAreConsistentAndAboveTheKvFloor) {
  const fs::path cache = fresh_dir("attn-model");
  auto at = [&](const char* context) {
    return run_json({"predict", "--gpu", "h100", "--vq", "cq-4", "--op", "attention_decode",
                     "--model", "llama-3-8b", "--context", context, "--batch", "4", "--cache-dir",
                     cache.string()});
  };
  const nlohmann::json j = at("4096");
  ASSERT_FALSE(j.is_null());
  ASSERT_EQ(j["layers"].size(), 1u);
  expect_consistent_totals(j, 32);
  // llama-3-8b: 8 KV heads x 128; cq-4 stores 4 bits per element of K and of V.
  const double kv_elems = 4.0 * 8 * 4096 * 128 * 2;
  const double hbm = ceiling(j, "hbm_bw_bytes_per_s");
  const double codes_floor_s = kv_elems * 0.5 / hbm;
  const auto& layer = j["layers"][0];
  EXPECT_GE(layer["ideal_s"].get<double>(), codes_floor_s * (1 - 1e-9));
  EXPECT_LT(layer["ideal_s"].get<double>(), 2 * codes_floor_s);
  EXPECT_GE(layer["dense_fp16_s"].get<double>(), kv_elems * 2 / hbm * (1 - 1e-9));
  EXPECT_LT(layer["best"]["time_s"].get<double>(), 20 * codes_floor_s);
  // Twice the context: more time, about twice the ideal.
  const nlohmann::json longer = at("8192");
  ASSERT_FALSE(longer.is_null());
  EXPECT_GT(longer["per_token_s"].get<double>(), j["per_token_s"].get<double>());
  EXPECT_NEAR(longer["ideal_per_token_s"].get<double>() / j["ideal_per_token_s"].get<double>(), 2,
              0.2);
  fs::remove_all(cache);
}

TEST(CliPredictOps, StoredHistogramIsTheOneUsed) {
  const fs::path d = fresh_dir("hist");
  // Codes are uniform; the stored histogram puts almost everything on 3 entries per level.
  vqt::IndexHistogram h;
  h.levels = 2;
  h.entries = 4096;
  h.counts.assign(2, std::vector<std::uint64_t>(4096, 1));
  std::mt19937 rng(std::random_device{}());
  for (auto& level : h.counts)
    for (int k = 0; k < 3; ++k)
      level[std::size_t(std::uniform_int_distribution<int>(0, 4095)(rng))] += 100000;
  const std::string with = aqlm3_file(d, &h), without = aqlm3_file(d);
  const std::vector<std::string> base = {"predict",   "--gpu", "h100", "--shape",
                                         "4096x4096", "--top", "1"};
  auto with_file = [&](const std::string& f) {
    auto a = base;
    a.insert(a.end(), {"--vq-file", f});  // --vq from the file's header
    return run_json(a);
  };
  const nlohmann::json s = with_file(with), c = with_file(without);
  ASSERT_FALSE(s.is_null());
  ASSERT_FALSE(c.is_null());
  EXPECT_EQ(s["vq"], c["vq"]);
  EXPECT_NE(s["vq"].get<std::string>().find("VQ<8,12,2>"), std::string::npos) << s["vq"];
  h.source = "file:" + with;
  EXPECT_NEAR(s["histogram"]["top256_mass"].get<double>(), h.top_mass(256), 1e-12);
  const double entropy = (h.entropy_bits(0) + h.entropy_bits(1)) / 2;
  EXPECT_NEAR(s["histogram"]["entropy_bits"].get<double>(), entropy, 1e-9);
  EXPECT_LT(s["histogram"]["entropy_bits"].get<double>(),
            c["histogram"]["entropy_bits"].get<double>() - 1);
  EXPECT_EQ(s["histogram_source"], "file:" + with);
  fs::remove_all(d);
}

TEST(CliPredictOps, TruncatedTensorDataIsRefused) {
  const fs::path d = fresh_dir("trunc");
  const std::string whole = aqlm3_file(d);
  const std::string bytes = slurp(whole);
  const fs::path cut = d / "cut.safetensors";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 1000);
  for (bool with_vq : {false, true}) {
    std::vector<std::string> a = {"predict",   "--gpu",     "h100",      "--shape",
                                  "4096x4096", "--vq-file", cut.string()};
    if (with_vq) a.insert(a.end(), {"--vq", "aqlm-3"});
    const CliResult r = run_cli(a);
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("--vq-file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(cut.string()), std::string::npos) << r.err;
  }
  fs::remove_all(d);
}
