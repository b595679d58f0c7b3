// `vqtune predict --db FILE`: measured ceilings and fitted coefficients of the GPU class come from
// a vqtune database (built here with the db/ API), the output names the source of every ceiling and
// of the coefficients, and a file that is not a usable vqtune database is refused with one line,
// exit 2, and left byte-for-byte as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "db/repository.hpp"
#include "db/schema.hpp"
#include "tests/cli/run_cli.hpp"
#include "vq/safetensors.hpp"

using vqt::test::CliResult;
using vqt::test::fresh_dir;
using vqt::test::run_cli;
using vqt::test::slurp;
namespace fs = std::filesystem;

namespace {

// A small aqlm-3 tensor with a skewed index distribution (so no synthetic histogram is built).
std::string vq_file() {
  static const std::string path = [] {
    vqt::VqTensor t;
    t.config = vqt::parse_vq("aqlm-3");
    t.rows = 32;
    t.cols = 128;
    std::mt19937 rng(std::random_device{}());
    std::geometric_distribution<int> geo(0.02);
    t.codes.resize(std::size_t(t.rows * (t.cols / 8) * 2));
    for (auto& c : t.codes) c = std::uint16_t(std::min(geo(rng), 4095));
    t.codebooks.assign(std::size_t(2 * 4096 * 8), 0.5f);
    const auto p = (fresh_dir("dbvq") / "w.safetensors").string();
    vqt::write_vq_safetensors(p, t);
    return p;
  }();
  return path;
}

std::vector<std::string> args(std::vector<std::string> extra) {
  std::vector<std::string> a = {"predict",   "--gpu",     "h100",    "--vq",  "aqlm-3", "--shape",
                                "4096x4096", "--vq-file", vq_file(), "--top", "3"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

vqt::db::GpuRecord gpu(const std::string& spec_key, const std::string& uuid) {
  vqt::db::GpuRecord g;
  g.uuid = uuid;
  g.name = "test " + spec_key;
  g.cc_major = 9;
  g.driver = "1";
  g.cuda_version = "13.0";
  g.spec_key = spec_key;
  return g;
}

void add_ceiling(vqt::db::Repository& repo, std::int64_t gpu_id, const std::string& name,
                 double value, const std::string& unit, const std::string& at) {
  vqt::db::Ceiling c;
  c.name = name;
  c.value = value;
  c.unit = unit;
  c.count = 10;
  c.measured_at = at;
  repo.record_ceiling(gpu_id, std::nullopt, c);
}

nlohmann::json json_of(const CliResult& r) {
  return nlohmann::json::parse(r.out);
}

std::string source_of(const nlohmann::json& j, const char* ceiling) {
  return j["gpu"]["ceilings"][ceiling]["source"].get<std::string>();
}

bool has_side_files(const fs::path& f) {
  for (const char* s : {"-wal", "-shm", "-journal"})
    if (fs::exists(f.string() + s)) return true;
  return false;
}

}  // namespace

TEST(CliPredictDb, MeasuredCeilingsAndFittedCoefficientsAreUsedAndNamed) {
  const fs::path d = fresh_dir("preddb");
  const fs::path f = d / "h100.db";
  std::mt19937 rng(std::random_device{}());
  const double hbm = std::uniform_real_distribution<double>(2.0e12, 3.0e12)(rng);
  const double eff = std::uniform_real_distribution<double>(0.3, 0.6)(rng);
  {
    auto repo = vqt::db::Repository::open(f.string(), vqt::db::Access::create);
    const auto id = repo.upsert_gpu(gpu("h100-sxm", "GPU-test-1"));
    // Stored newest first: the later measured_at must win, not the later row.
    add_ceiling(repo, id, "hbm_read", hbm, "bytes/s", "2026-11-02T00:00:00.000Z");
    add_ceiling(repo, id, "hbm_read", 1.0e12, "bytes/s", "2026-11-01T00:00:00.000Z");
    add_ceiling(repo, id, "empty_kernel", 3.0e-6, "s", "2026-11-02T00:00:00.000Z");
    add_ceiling(repo, id, "hbm_copy", 1.5e12, "bytes/s", "2026-11-02T00:00:00.000Z");  // unused
    repo.save_coefficients("h100-sxm", "fit:test",
                           "{\"hbm_efficiency\": " + std::to_string(eff) + "}");
  }
  const std::string before = slurp(f);

  const CliResult base = run_cli(args({"--json"}));
  const CliResult withdb = run_cli(args({"--json", "--db", f.string()}));
  ASSERT_EQ(base.rc, 0) << base.err;
  ASSERT_EQ(withdb.rc, 0) << withdb.err;
  EXPECT_TRUE(withdb.err.empty()) << withdb.err;
  const auto b = json_of(base), j = json_of(withdb);
  EXPECT_DOUBLE_EQ(j["gpu"]["ceilings"]["hbm_bw_bytes_per_s"]["value"].get<double>(), hbm);
  EXPECT_DOUBLE_EQ(j["gpu"]["ceilings"]["launch_overhead_s"]["value"].get<double>(), 3.0e-6);
  EXPECT_EQ(source_of(j, "hbm_bw_bytes_per_s"), "measured");
  EXPECT_EQ(source_of(j, "launch_overhead_s"), "measured");
  EXPECT_EQ(source_of(j, "fp16_tensor_flops_per_s"), source_of(b, "fp16_tensor_flops_per_s"));
  EXPECT_NE(source_of(j, "l2_bw_bytes_per_s"), "measured");
  EXPECT_EQ(source_of(b, "hbm_bw_bytes_per_s"), "datasheet");
  EXPECT_NE(j["gpu"]["measured_ceilings_from"].get<std::string>().find("2026-11-02"),
            std::string::npos);
  EXPECT_EQ(b["coefficients"], "built-in defaults");
  EXPECT_NE(j["coefficients"].get<std::string>().find("database"), std::string::npos);
  // The ideal time is compulsory bytes over the HBM ceiling: it scales with the measured figure.
  const double base_hbm = b["gpu"]["ceilings"]["hbm_bw_bytes_per_s"]["value"].get<double>();
  EXPECT_NEAR(j["ideal_s"].get<double>() / b["ideal_s"].get<double>(), base_hbm / hbm, 1e-9);
  // A lower HBM efficiency and a slower HBM make the winner slower.
  EXPECT_GT(j["candidates"][0]["time_s"].get<double>(), b["candidates"][0]["time_s"].get<double>());

  // The table says it on the gpu line and names the coefficients.
  const CliResult table = run_cli(args({"--db", f.string()}));
  ASSERT_EQ(table.rc, 0) << table.err;
  char hbm_text[64];
  std::snprintf(hbm_text, sizeof hbm_text, "HBM %.2f TB/s [measured]", hbm / 1e12);
  EXPECT_NE(table.out.find(hbm_text), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("launch 3.0 us [measured]"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("[datasheet]"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("coeffs:    database " + f.string()), std::string::npos) << table.out;

  // --coefficients FILE wins over the database's fit, and says so.
  std::ofstream(d / "c.json") << "{\"hbm_efficiency\": 0.9}";
  const CliResult file =
      run_cli(args({"--json", "--db", f.string(), "--coefficients", (d / "c.json").string()}));
  ASSERT_EQ(file.rc, 0) << file.err;
  const std::string coef = json_of(file)["coefficients"].get<std::string>();
  EXPECT_EQ(coef.rfind("file ", 0), 0u) << coef;
  EXPECT_NE(coef.find("overrides"), std::string::npos) << coef;
  EXPECT_LT(json_of(file)["candidates"][0]["time_s"].get<double>(),
            j["candidates"][0]["time_s"].get<double>());

  EXPECT_EQ(slurp(f), before);
  EXPECT_FALSE(has_side_files(f));
  fs::remove_all(d);
}

TEST(CliPredictDb, NoRowsForTheGpuFallsBackToTheDatasheetAndSaysSo) {
  const fs::path d = fresh_dir("preddb-empty");
  const fs::path f = d / "a100.db";
  {
    auto repo = vqt::db::Repository::open(f.string(), vqt::db::Access::create);
    const auto id = repo.upsert_gpu(gpu("a100-sxm", "GPU-test-2"));
    add_ceiling(repo, id, "hbm_read", 1.7e12, "bytes/s", "");
    repo.save_coefficients("a100-sxm", "fit:test", "{\"hbm_efficiency\": 0.5}");
  }
  const std::string before = slurp(f);
  const CliResult base = run_cli(args({"--json"}));
  const CliResult r = run_cli(args({"--json", "--db", f.string()}));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("no measured ceilings for h100-sxm"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a100-sxm"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no fitted coefficients"), std::string::npos) << r.err;
  const auto j = json_of(r), b = json_of(base);
  EXPECT_EQ(j["gpu"], b["gpu"]);
  EXPECT_EQ(j["candidates"], b["candidates"]);
  EXPECT_EQ(j["coefficients"], "built-in defaults");
  EXPECT_EQ(slurp(f), before);
  EXPECT_FALSE(has_side_files(f));
  fs::remove_all(d);
}

TEST(CliPredictDb, UnusableFilesAreRefusedAndUntouched) {
  const fs::path d = fresh_dir("preddb-bad");
  auto expect_refused = [&](const fs::path& f, const std::string& also) {
    SCOPED_TRACE(f.string());
    const bool existed = fs::exists(f);
    const std::string before = existed ? slurp(f) : "";
    const CliResult r = run_cli(args({"--db", f.string()}));
    EXPECT_EQ(r.rc, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(also), std::string::npos) << r.err;
    EXPECT_EQ(fs::exists(f), existed);
    if (existed) {
      EXPECT_EQ(slurp(f), before);
    }
    EXPECT_FALSE(has_side_files(f));
  };
  expect_refused(d / "missing.db", "no such database");
  std::ofstream(d / "empty.db").close();
  expect_refused(d / "empty.db", "empty");
  std::ofstream(d / "text.db") << "id,name\n1,ada\n";
  expect_refused(d / "text.db", "not an SQLite database");
  {
    vqt::db::Connection c((d / "foreign.db").string(), vqt::db::OpenFlags::create);
    c.exec("CREATE TABLE t(x); INSERT INTO t VALUES(1)");
  }
  expect_refused(d / "foreign.db", "not a vqtune database");
  { auto c = vqt::db::open_database((d / "newer.db").string(), vqt::db::Access::create); }
  {
    vqt::db::Connection c((d / "newer.db").string(), vqt::db::OpenFlags::read_write);
    c.exec("PRAGMA user_version = 99");
  }
  expect_refused(d / "newer.db", "newer");
  // A vqtune database whose stored coefficients do not parse.
  {
    auto repo = vqt::db::Repository::open((d / "badcoef.db").string(), vqt::db::Access::create);
    repo.save_coefficients("h100-sxm", "fit:bad", "{\"hbm_efficiency\": 7}");
    repo.connection().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  expect_refused(d / "badcoef.db", "hbm_efficiency");
  fs::remove_all(d);
}
