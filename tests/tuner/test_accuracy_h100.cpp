// cpu tier: the committed H100 coefficients judged on the committed H100 measurements
// (bench/results/data/*.db.xz) must not get worse than the figures in
// tests/tuner/accuracy_thresholds.json (MAPE, model top-1 within 5 %, model-top-k within 2 %).
// Each test decompresses one database into the build directory and runs
// `vqtune accuracy --db F --coefficients J --json` (no fit, no GPU).
// VQT_ACCURACY_COEFFICIENTS_DIR=dir judges the coefficients files of that directory instead of
// bench/results/data (to try a new fit against the floor before committing it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/run_cli.hpp"

namespace fs = std::filesystem;
using vqt::test::quote;
using vqt::test::run_cli;
using vqt::test::slurp;

namespace {

const fs::path kData = fs::path(VQT_SOURCE_DIR) / "bench" / "results" / "data";

nlohmann::json thresholds() {
  return nlohmann::json::parse(
      slurp(fs::path(VQT_SOURCE_DIR) / "tests" / "tuner" / "accuracy_thresholds.json"));
}

// Decompresses bench/results/data/<name>.db.xz into the build tree (a fresh file every run),
// named after the running test too: ctest -j runs these tests in parallel processes, and two of
// them fitting into one file raced (a truncated database seen by the other).
fs::path decompress(const std::string& name) {
  const fs::path dir = fs::path(VQT_BINARY_DIR) / "tests" / "tuner" / "accuracy_h100";
  fs::create_directories(dir);
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path db =
      dir / ((test ? std::string(test->name()) + "-" : std::string()) + name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  const std::string cmd =
      "xz -dc " + quote((kData / (name + ".db.xz")).string()) + " > " + quote(db.string());
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << " (xz-utils: scripts/setup.sh installs it)";
  return db;
}

void check(const std::string& name) {
  const nlohmann::json t = thresholds();
  ASSERT_TRUE(t["files"].contains(name)) << name << " not in accuracy_thresholds.json";
  const nlohmann::json& f = t["files"][name];
  const char* dir_env = std::getenv("VQT_ACCURACY_COEFFICIENTS_DIR");
  const fs::path coef =
      (dir_env ? fs::path(dir_env) : kData) / f["coefficients"].get<std::string>();
  const fs::path db = decompress(name);
  const auto r =
      run_cli({"accuracy", "--db", db.string(), "--coefficients", coef.string(), "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["coefficients"], "file");
  EXPECT_EQ(j["problems"].get<int>(), f["problems"].get<int>());
  EXPECT_EQ(j["points"].get<int>(), f["points"].get<int>());

  const double mape = j["mape"], top1 = j["top1_within_5pct"], topk = j["topk_within_2pct"];
  const nlohmann::json& today = f["today"];
  const double mape_max = today["mape"].get<double>() + t["mape_margin"].get<double>();
  const double share_margin = t["share_margin"];
  const double top1_min = today["top1_within_5pct"].get<double>() - share_margin;
  const double topk_min = today["topk_within_2pct"].get<double>() - share_margin;
  std::ostringstream now;
  now << std::setprecision(4) << name << " with " << coef.filename().string() << ": mape " << mape
      << ", top1_within_5pct " << top1 << ", topk_within_2pct " << topk
      << " (accuracy_thresholds.json 'today': " << today.dump() << ")";
  std::cout << now.str() << "\n";
  EXPECT_LE(mape, mape_max) << now.str();
  EXPECT_GE(top1, top1_min) << now.str();
  EXPECT_GE(topk, topk_min) << now.str();
}

}  // namespace

TEST(AccuracyH100, GemvLlama7bAnd3_8b) {
  check("h100-gemv-70");
}
TEST(AccuracyH100, GemvLlama65b) {
  check("h100-gemv-llama65b");
}
TEST(AccuracyH100, GemmAndAttention) {
  check("h100-gemm-attention");
}

namespace {

// The "weighted rms log error B -> A" that `accuracy --fit` prints: B, before the first step.
double rms_before(const std::string& err) {
  const auto at = err.find("rms log error ");
  if (at == std::string::npos) return -1;
  return std::stod(err.substr(at + 14));
}

}  // namespace

// --fit --start FILE starts the fit from FILE: one iteration from the committed coefficients
// begins at their (far lower) error, not at the built-in defaults'; --start without --fit is
// refused before anything is read.
TEST(AccuracyH100, FitStartsFromTheGivenCoefficients) {
  const fs::path db = decompress("h100-gemv-70");
  const fs::path coef = kData / "h100-gemv-coefficients.json";
  const auto refused = run_cli({"accuracy", "--db", db.string(), "--start", coef.string()});
  EXPECT_EQ(refused.rc, 2);
  EXPECT_NE(refused.err.find("--start needs --fit"), std::string::npos) << refused.err;

  const auto from_defaults =
      run_cli({"accuracy", "--db", db.string(), "--fit", "--iterations", "1"});
  ASSERT_EQ(from_defaults.rc, 0) << from_defaults.err;
  const fs::path db2 = decompress("h100-gemv-70");
  const auto from_file = run_cli(
      {"accuracy", "--db", db2.string(), "--fit", "--iterations", "1", "--start", coef.string()});
  ASSERT_EQ(from_file.rc, 0) << from_file.err;
  const double a = rms_before(from_defaults.err), b = rms_before(from_file.err);
  ASSERT_GT(a, 0) << from_defaults.err;
  ASSERT_GT(b, 0) << from_file.err;
  EXPECT_LT(b, 0.5 * a) << "defaults " << a << ", committed coefficients " << b;
}

// A fit whose held-out quarter is empty (llama-65b's four shapes all hash into the fit) is refused
// before anything is fitted or stored.
TEST(AccuracyH100, FitWithNothingHeldOutIsRefusedFirst) {
  const fs::path db = decompress("h100-gemv-llama65b");
  const auto r = run_cli({"accuracy", "--db", db.string(), "--fit", "--iterations", "1"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("no problem is held out"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("fitted"), std::string::npos) << r.err;
}

// --holdout-shapes holds out exactly the named shapes (every VQ config and batch of each); a shape
// the file does not have, or the flag beside --holdout-every, is refused before anything is fitted
// or stored.
TEST(AccuracyH100, HoldoutShapesHoldsOutExactlyThoseShapes) {
  const fs::path db = decompress("h100-gemv-70");
  const auto unknown = run_cli({"accuracy", "--db", db.string(), "--fit", "--iterations", "1",
                                "--holdout-shapes", "gemv:4096x4096,gemv:1x1"});
  EXPECT_EQ(unknown.rc, 2);
  EXPECT_NE(unknown.err.find("no measured problem of h100-sxm has shape 'gemv:1x1'"),
            std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("gemv:11008x4096"), std::string::npos) << unknown.err;
  const auto both = run_cli({"accuracy", "--db", db.string(), "--fit", "--holdout-every", "3",
                             "--holdout-shapes", "gemv:4096x4096"});
  EXPECT_EQ(both.rc, 2);
  EXPECT_NE(both.err.find("excludes --holdout-every"), std::string::npos) << both.err;
  // Nothing was stored by the refused fits: the file still judges with default coefficients.
  const auto after = run_cli({"accuracy", "--db", db.string(), "--json"});
  ASSERT_EQ(after.rc, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out)["coefficients"], "defaults");

  const auto fit = run_cli({"accuracy", "--db", db.string(), "--fit", "--iterations", "1",
                            "--holdout-shapes", "gemv:4096x4096,gemv:6144x4096", "--json"});
  ASSERT_EQ(fit.rc, 0) << fit.err;
  const nlohmann::json j = nlohmann::json::parse(fit.out);
  EXPECT_EQ(j["problems"].get<int>(), 20);  // 2 shapes x 5 presets x batch 1 and 16
  for (const auto& p : j["per_problem"]) {
    const std::string key = p["problem"];
    EXPECT_TRUE(key.find(":n4096:k4096:") != std::string::npos ||
                key.find(":n6144:k4096:") != std::string::npos)
        << key;
  }
}

// --hold keeps the named coefficients at their --start value through the fit while the others
// move; --save writes the fitted coefficients. An unknown name, --hold without --fit and a --save
// file that exists are refused before anything is fitted or stored.
TEST(AccuracyH100, HoldKeepsNamedCoefficientsAtTheirStart) {
  const fs::path db = decompress("h100-gemv-70");
  const fs::path coef = kData / "h100-gemv-coefficients.json";
  const fs::path saved = db.parent_path() / "hold-fit.json";
  fs::remove(saved);
  const auto unknown = run_cli({"accuracy", "--db", db.string(), "--fit", "--iterations", "1",
                                "--start", coef.string(), "--hold", "overlap_exponent,no_such"});
  EXPECT_EQ(unknown.rc, 2);
  EXPECT_NE(unknown.err.find("no model coefficient 'no_such'"), std::string::npos) << unknown.err;
  const auto unfitted = run_cli({"accuracy", "--db", db.string(), "--hold", "overlap_exponent"});
  EXPECT_EQ(unfitted.rc, 2);
  EXPECT_NE(unfitted.err.find("--hold needs --fit"), std::string::npos) << unfitted.err;
  const auto taken = run_cli(
      {"accuracy", "--db", db.string(), "--fit", "--iterations", "1", "--save", coef.string()});
  EXPECT_EQ(taken.rc, 2);
  EXPECT_NE(taken.err.find("exists"), std::string::npos) << taken.err;
  const auto after = run_cli({"accuracy", "--db", db.string(), "--json"});
  ASSERT_EQ(after.rc, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out)["coefficients"], "defaults");

  // Start away from the fit's optimum so that a free coefficient has somewhere to go.
  nlohmann::json start = nlohmann::json::parse(slurp(coef));
  start["overlap_exponent"] = 6.0;
  start["gemv_item_cycles"] = 20000.0;
  const fs::path start_file = db.parent_path() / "hold-start.json";
  { std::ofstream(start_file) << start.dump(2); }
  const auto fit =
      run_cli({"accuracy", "--db", db.string(), "--fit", "--iterations", "2", "--start",
               start_file.string(), "--hold", "overlap_exponent,lsu_wavefronts_per_code_load",
               "--save", saved.string()});
  ASSERT_EQ(fit.rc, 0) << fit.err;
  EXPECT_NE(fit.err.find("(2 held)"), std::string::npos) << fit.err;
  const nlohmann::json got = nlohmann::json::parse(slurp(saved));
  EXPECT_EQ(got["overlap_exponent"].get<double>(), 6.0);
  EXPECT_EQ(got["lsu_wavefronts_per_code_load"].get<double>(),
            start["lsu_wavefronts_per_code_load"].get<double>());
  EXPECT_NE(got["gemv_item_cycles"].get<double>(), 20000.0);
  fs::remove(saved);
  fs::remove(start_file);
}
