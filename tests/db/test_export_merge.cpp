// Export (csv, json, md, cpp), JSON import round trip, atomic --out writes, and merge.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "db/export.hpp"
#include "db/fixture.hpp"
#include "db/merge.hpp"
#include "db_test_util.hpp"

using namespace vqt;
using namespace vqt::db;
using namespace vqt::db::test;

namespace {

std::string fixture_db(const TempDir& dir, const std::string& name, std::uint64_t seed = 1,
                       const std::string& tag = "0000") {
  const std::string f = dir.file(name);
  Repository repo = Repository::open(f, Access::create);
  fill_demo_fixture(repo, seed, tag);
  return f;
}

// Every table's rows, ordered, as text: equal dumps mean equal databases.
std::string dump(const std::string& f) {
  Repository repo = Repository::open(f, Access::read_only);
  std::ostringstream os;
  for (const char* t : {"gpus", "runs", "ceilings", "problems", "candidates", "measurements",
                        "predictions", "coefficients", "heuristics"}) {
    Statement st(repo.connection(), std::string("SELECT * FROM ") + t + " ORDER BY 2, 3, 4, 5");
    os << "[" << t << "]\n";
    while (st.step()) {
      for (int c = 0; c < st.columns(); ++c) os << st.get_text(c) << "|";
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace

TEST(Export, CsvCarriesEveryColumnPerRow) {
  TempDir dir;
  Repository repo = Repository::open(fixture_db(dir, "f.db"), Access::read_only);
  const auto rows = repo.heuristics("h100-sxm");
  const std::string csv = export_heuristics(repo, ExportFormat::csv, "h100-sxm");
  std::istringstream is(csv);
  std::string header, line;
  std::getline(is, header);
  for (const char* col :
       {"gpu_uuid", "driver", "cuda_version", "vq_key", "bucket", "candidate_key", "n_smem",
        "measured_s", "rel_stdev", "count", "predicted_s", "source", "run_uuid", "build_commit"})
    EXPECT_NE(header.find(col), std::string::npos) << col;
  std::size_t lines = 0;
  while (std::getline(is, line)) {
    ++lines;
    EXPECT_NE(line.find("h100-sxm"), std::string::npos);
    EXPECT_EQ(line.find("a100-sxm"), std::string::npos);
  }
  EXPECT_EQ(lines, rows.size());
  // The candidate key has commas, so it is quoted.
  EXPECT_NE(csv.find("\"" + rows[0].candidate_key + "\""), std::string::npos);
  const std::string md = export_heuristics(repo, ExportFormat::md);
  EXPECT_NE(md.find("SYNTHETIC"), std::string::npos);
  EXPECT_NE(md.find("| GPU | op |"), std::string::npos);
  EXPECT_THROW(parse_export_format("xlsx"), InputError);
}

TEST(Export, JsonImportedIntoAFreshFileGivesTheSameHeuristics) {
  TempDir dir;
  const std::string src = fixture_db(dir, "src.db", 7);
  nlohmann::json doc;
  std::string csv_src;
  {
    Repository repo = Repository::open(src, Access::read_only);
    doc = nlohmann::json::parse(export_heuristics(repo, ExportFormat::json));
    csv_src = export_heuristics(repo, ExportFormat::csv);
  }
  Repository fresh = Repository::open(dir.file("fresh.db"), Access::create);
  const ImportCounts ic = import_json(fresh, doc);
  EXPECT_GT(ic.measurements, 0);
  EXPECT_EQ(export_heuristics(fresh, ExportFormat::csv), csv_src);
  // Importing again adds nothing.
  const ImportCounts again = import_json(fresh, doc);
  EXPECT_EQ(again.measurements, 0);
  EXPECT_EQ(again.skipped, ic.measurements);
  EXPECT_EQ(export_heuristics(fresh, ExportFormat::csv), csv_src);
  EXPECT_THROW(import_json(fresh, nlohmann::json{{"format", "other"}}), InputError);
  nlohmann::json broken = doc;
  broken["heuristics"][0].erase("candidate");
  EXPECT_THROW(import_json(fresh, broken), InputError);
}

TEST(Export, CppHeaderCompilesWithoutSqliteAndLooksUp) {
  TempDir dir;
  Repository repo = Repository::open(fixture_db(dir, "f.db"), Access::read_only);
  const auto rows = repo.heuristics();
  write_file_atomic(dir.file("heur.hpp"), export_heuristics(repo, ExportFormat::cpp), false);
  std::ostringstream main;
  main << "#include \"heur.hpp\"\n#include <cstdio>\nusing namespace vqt_heuristics;\n"
       << "static_assert(kNumEntries == " << rows.size() << ", \"rows\");\n"
       << "int main() {\n  int bad = 0;\n  bool nearest = true;\n";
  for (const auto& r : rows) {
    const Problem& p = r.problem;
    const bool mm = p.op == Op::gemv || p.op == Op::gemm;
    main << "  { const std::int64_t s[5] = {" << (mm ? p.m : p.batch) << ", "
         << (mm ? p.n : p.q_heads) << ", " << (mm ? p.k : p.kv_heads) << ", "
         << (mm ? 1 : p.head_dim) << ", " << (mm ? 1 : p.context)
         << "};\n    const Entry* e = lookup(\"" << r.gpu_key << "\", \"" << r.op << "\", \""
         << r.vq_key << "\", s, &nearest);\n"
         << "    if (!e || nearest || e->n_smem != " << r.candidate.n_smem
         << " || e->threads != " << r.candidate.threads << " || e->n_reg != " << r.candidate.n_reg
         << ") { std::printf(\"wrong: " << r.bucket << "\\n\"); ++bad; } }\n";
  }
  main << "  const std::int64_t far[5] = {1, 300000, 4096, 1, 1};\n"
       << "  const Entry* e = lookup(\"h100-sxm\", \"gemv\", \"" << parse_vq("aqlm-3").key()
       << "\", far, &nearest);\n  if (!e || !nearest) { std::printf(\"no nearest\\n\"); ++bad; }\n"
       << "  if (lookup(\"h100-sxm\", \"gemv\", \"v1b1r1:per_tensor\", far)) ++bad;\n"
       << "  return bad;\n}\n";
  write_bytes(dir.file("main.cpp"), main.str());
  const std::string exe = dir.file("check");
  const std::string cmd = std::string(VQT_CXX_COMPILER) + " -std=c++17 -Wall -Wextra -Werror -o '" +
                          exe + "' '" + dir.file("main.cpp") + "' 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_EQ(std::system(("'" + exe + "'").c_str()), 0);
}

TEST(Export, OutIsNotOverwrittenWithoutForce) {
  TempDir dir;
  const std::string out = dir.file("out.csv");
  write_bytes(out, "precious\n");
  const auto h = hash_file(out);
  EXPECT_THROW(write_file_atomic(out, "new", false), InputError);
  EXPECT_EQ(hash_file(out), h);
  write_file_atomic(out, "new", true);
  EXPECT_EQ(read_bytes(out), "new");
  write_file_atomic(dir.file("fresh.csv"), "x", false);
  EXPECT_EQ(read_bytes(dir.file("fresh.csv")), "x");
  EXPECT_THROW(write_file_atomic(dir.file("no/such/dir.csv"), "x", true), Error);
  const std::string listing = dir.path();
  EXPECT_EQ(std::system(("ls '" + listing + "' | grep -q tmp").c_str()) == 0, false)
      << "a temporary file was left behind";
}

TEST(Merge, KeepsEveryMeasurementAndIsIdempotent) {
  TempDir dir;
  const std::string a = fixture_db(dir, "a.db", 1, "aaaa");
  const std::string b = fixture_db(dir, "b.db", 2, "bbbb");
  const std::string out = dir.file("out.db");
  std::int64_t ma = 0, mb = 0;
  {
    Repository ra = Repository::open(a, Access::read_only);
    Repository rb = Repository::open(b, Access::read_only);
    ma = ra.connection().query_int("SELECT count(*) FROM measurements");
    mb = rb.connection().query_int("SELECT count(*) FROM measurements");
  }
  {
    Repository repo = Repository::open(out, Access::create);
    merge_databases(repo, {a, b});
    EXPECT_EQ(repo.connection().query_int("SELECT count(*) FROM measurements"), ma + mb);
    EXPECT_EQ(repo.connection().query_int("SELECT count(*) FROM gpus"), 4);
    EXPECT_GT(repo.connection().query_int("SELECT count(*) FROM heuristics WHERE source='merged'"),
              0);
    EXPECT_EQ(repo.connection().query_int("SELECT count(*) FROM runs"), 2);
    EXPECT_THROW(merge_databases(repo, {out}), InputError);
  }
  const std::string first = dump(out);
  {
    Repository repo = Repository::open(out, Access::read_write);
    const MergeCounts again = merge_databases(repo, {a, b, a});
    for (const auto& [table, n] : again.inserted) EXPECT_EQ(n, 0) << table;
  }
  EXPECT_EQ(dump(out), first);
  // A foreign input is refused and the output is untouched.
  write_bytes(dir.file("junk.db"), "not a database");
  {
    Repository repo = Repository::open(out, Access::read_write);
    EXPECT_THROW(merge_databases(repo, {dir.file("junk.db")}), InputError);
  }
  EXPECT_EQ(dump(out), first);
}
