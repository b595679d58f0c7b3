// The `vqtune db` and `vqtune export` verbs end to end: refused files get one line and exit 2
// with their bytes unchanged and no -wal/-shm left; an existing --out is kept without --force;
// info and export work on the demo fixture.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "db_test_util.hpp"

using namespace vqt::db;
using namespace vqt::db::test;

namespace {

struct Result {
  int code = -1;
  std::string out, err;
};

std::string vqtune() {
  const char* env = std::getenv("VQTUNE_BIN");
  return env && *env ? env : std::string(VQT_BINARY_DIR) + "/cli/vqtune";
}

Result run(const std::string& args, const TempDir& dir) {
  Result r;
  const std::string err_file = dir.file("stderr.txt");
  const std::string cmd =
      "cd '" + dir.path() + "' && '" + vqtune() + "' " + args + " 2>'" + err_file + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_bytes(err_file);
  ::unlink(err_file.c_str());
  return r;
}

int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

void expect_refused_by_cli(const TempDir& dir, const std::string& name, const char* words) {
  const std::string f = dir.file(name);
  const auto h = hash_file(f);
  for (const std::string& verb :
       {"db info --db " + name, "db init --db " + name, "export --format csv --db " + name,
        "db import --db " + name + " in.json", "db merge out.db " + name}) {
    const Result r = run(verb, dir);
    EXPECT_EQ(r.code, 2) << verb << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1) << verb << ": " << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << verb << ": " << r.err;
    EXPECT_EQ(hash_file(f), h) << verb << " changed " << name;
    EXPECT_FALSE(has_side_files(f)) << verb << " left -wal/-shm next to " << name;
  }
}

}  // namespace

TEST(Cli, RefusesFilesThatAreNotUsableVqtuneDatabases) {
  TempDir dir;
  write_bytes(dir.file("in.json"), R"({"format": "vqtune-heuristics", "format_version": 1,
                                       "heuristics": []})");
  write_bytes(dir.file("text.db"), "id,name\n1,ada\n");
  expect_refused_by_cli(dir, "text.db", "not an SQLite database");
  {
    Connection c(dir.file("foreign.db"), OpenFlags::create);
    c.exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES(1)");
  }
  expect_refused_by_cli(dir, "foreign.db", "not a vqtune database");
  { Connection c = open_database(dir.file("newer.db"), Access::create); }
  {
    Connection c(dir.file("newer.db"), OpenFlags::read_write);
    c.exec("PRAGMA user_version = 99");
  }
  expect_refused_by_cli(dir, "newer.db", "newer");
  ASSERT_EQ(run("db init --db full.db --demo-fixture", dir).code, 0);
  const std::string bytes = read_bytes(dir.file("full.db"));
  write_bytes(dir.file("cut.db"), bytes.substr(0, bytes.size() * 2 / 3));
  expect_refused_by_cli(dir, "cut.db", "truncated");
  // Damaged pages inside a well-formed file: found by quick_check (or the first read).
  std::string damaged = bytes;
  const std::size_t page = 4096;
  ASSERT_EQ(std::size_t(static_cast<unsigned char>(bytes[16])) << 8, page);
  for (std::size_t p = 3; (p + 1) * page <= damaged.size(); p += 3)
    damaged.replace(p * page, 64, std::string(64, '\xff'));
  write_bytes(dir.file("damaged.db"), damaged);
  expect_refused_by_cli(dir, "damaged.db", "corrupt");
}

TEST(Cli, InfoExportAndForce) {
  TempDir dir;
  Result r = run("db init --db d.db --demo-fixture", dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("SYNTHETIC"), std::string::npos);
  EXPECT_EQ(run("db init --db d.db --demo-fixture", dir).code, 2);  // never mixed into a file
  r = run("db info --db d.db", dir);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("h100-sxm"), std::string::npos);
  EXPECT_NE(r.out.find("measurements"), std::string::npos);
  EXPECT_NE(r.out.find("last run: demo"), std::string::npos);
  r = run("db info --db d.db --json", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("\"schema_version\": " + std::to_string(kSchemaVersion)), std::string::npos);
  for (const char* fmt : {"csv", "json", "md", "cpp"}) {
    r = run(std::string("export --db d.db --format ") + fmt + " --gpu a100-sxm", dir);
    EXPECT_EQ(r.code, 0) << fmt << r.err;
    EXPECT_NE(r.out.find("a100-sxm"), std::string::npos) << fmt;
    EXPECT_EQ(r.out.find("h100-sxm"), std::string::npos) << fmt;
  }
  EXPECT_FALSE(has_side_files(dir.file("d.db")));
  write_bytes(dir.file("keep.md"), "mine\n");
  r = run("export --db d.db --format md --out keep.md", dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(lines(r.err), 1);
  EXPECT_EQ(read_bytes(dir.file("keep.md")), "mine\n");
  EXPECT_EQ(run("export --db d.db --format md --out keep.md --force", dir).code, 0);
  EXPECT_NE(read_bytes(dir.file("keep.md")).find("| GPU |"), std::string::npos);
  EXPECT_EQ(run("export --db d.db --format xlsx", dir).code, 2);
  EXPECT_EQ(run("export --db d.db --format csv --gpu v100", dir).code, 2);
  EXPECT_EQ(run("export --db missing.db --format csv", dir).code, 2);
  // JSON out, import into a fresh file, same csv; merge twice changes nothing.
  ASSERT_EQ(run("export --db d.db --format json --out d.json", dir).code, 0);
  ASSERT_EQ(run("db import --db e.db d.json", dir).code, 0);
  const std::string csv_d = run("export --db d.db --format csv", dir).out;
  EXPECT_EQ(run("export --db e.db --format csv", dir).out, csv_d);
  ASSERT_EQ(run("db merge m.db d.db e.db", dir).code, 0);
  const std::string merged = read_bytes(dir.file("m.db"));
  r = run("db merge m.db d.db e.db", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("measurements 0"), std::string::npos) << r.out;
  EXPECT_EQ(run("export --db m.db --format csv", dir).out, csv_d);
}
