// The SQLite layer (errors carry codes, transactions roll back) and open_database's checks:
// schema creation, migration of an older file, and refusal of files that are not ours.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "db/schema.hpp"
#include "db/sqlite.hpp"
#include "db_test_util.hpp"

using namespace vqt;
using namespace vqt::db;
using namespace vqt::db::test;

TEST(Sqlite, ErrorsCarryCodesAndSql) {
  Connection c(":memory:", OpenFlags::create);
  c.exec("CREATE TABLE t(x INTEGER PRIMARY KEY, s TEXT UNIQUE)");
  Statement ins(c, "INSERT INTO t(s) VALUES(?)");
  ins.bind(1, "a").run();
  try {
    ins.bind(1, "a").run();
    FAIL() << "duplicate insert did not throw";
  } catch (const SqliteError& e) {
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT);
    EXPECT_EQ(e.extended_code(), SQLITE_CONSTRAINT_UNIQUE);
    EXPECT_NE(e.sql().find("INSERT INTO t"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("UNIQUE"), std::string::npos);
  }
  EXPECT_THROW(Statement(c, "SELECT nonsense FROM nowhere"), SqliteError);
  EXPECT_THROW(c.exec("NOT SQL"), Error);  // SqliteError is a vqt::Error
}

TEST(Sqlite, StatementBindsAndReads) {
  Connection c(":memory:", OpenFlags::create);
  c.exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, n TEXT)");
  Statement ins(c, "INSERT INTO t VALUES(:i, :d, :s, :n)");
  ins.bind(":i", std::int64_t{1} << 40).bind(":d", 2.5).bind(":s", "text").bind_null(4).run();
  Statement sel(c, "SELECT i, d, s, n FROM t");
  ASSERT_TRUE(sel.step());
  EXPECT_EQ(sel.get_int(0), std::int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(sel.get_double(1), 2.5);
  EXPECT_EQ(sel.get_text(2), "text");
  EXPECT_FALSE(sel.get_opt_text(3).has_value());
  EXPECT_EQ(sel.column_name(2), "s");
  EXPECT_FALSE(sel.step());
}

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  Connection c(dir.file("t.db"), OpenFlags::create);
  c.exec("CREATE TABLE t(x)");
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES(1)");
  }
  EXPECT_EQ(c.query_int("SELECT count(*) FROM t"), 0);
  {
    Transaction tx(c);
    c.exec("INSERT INTO t VALUES(2)");
    tx.commit();
  }
  EXPECT_EQ(c.query_int("SELECT count(*) FROM t"), 1);
}

TEST(Schema, CreatesCurrentSchemaInWalMode) {
  TempDir dir;
  const std::string f = dir.file("v.db");
  {
    Connection c = open_database(f, Access::create);
    EXPECT_EQ(schema_version(c), kSchemaVersion);
    EXPECT_EQ(c.query_int("PRAGMA application_id"), kApplicationId);
    EXPECT_EQ(c.query_int("PRAGMA foreign_keys"), 1);
    Statement jm(c, "PRAGMA journal_mode");
    ASSERT_TRUE(jm.step());
    EXPECT_EQ(jm.get_text(0), "wal");
    for (const char* t : {"gpus", "ceilings", "problems", "candidates", "measurements",
                          "predictions", "coefficients", "heuristics", "runs", "vqtune_meta"})
      EXPECT_EQ(
          c.query_int(std::string("SELECT count(*) FROM sqlite_master WHERE name='") + t + "'"), 1)
          << t;
    // Foreign keys are enforced.
    EXPECT_THROW(c.exec("INSERT INTO ceilings(uid, gpu_id, name, value, unit, rel_spread, count, "
                        "measured_at) VALUES('x', 999, 'hbm', 1, 'B/s', 0, 1, 'now')"),
                 SqliteError);
  }
  // Opening again read-only and read-write works and changes nothing.
  const auto h = hash_file(f);
  { Connection ro = open_database(f, Access::read_only); }
  EXPECT_EQ(hash_file(f), h);
  { Connection rw = open_database(f, Access::read_write); }
  EXPECT_THROW(open_database(dir.file("missing.db"), Access::read_only), DbFileError);
  EXPECT_FALSE(exists(dir.file("missing.db")));
}

TEST(Schema, MigratesAnOlderFileAndKeepsItsRows) {
  TempDir dir;
  const std::string f = dir.file("old.db");
  create_database_at_version(f, 1);
  {
    Connection c(f, OpenFlags::read_write);
    EXPECT_EQ(schema_version(c), 1);
    EXPECT_THROW(c.exec("SELECT note FROM runs"), SqliteError);  // a v2 column
    c.exec(
        "INSERT INTO runs(uuid, kind, who, host, started_at, args, vqtune_version, "
        "build_commit) VALUES('r1', 'tune', 'me', 'h', 't', '', '0.1', 'abc')");
  }
  EXPECT_THROW(open_database(f, Access::read_only), DbFileError);  // must migrate first
  Connection c = open_database(f, Access::read_write);
  EXPECT_EQ(schema_version(c), kSchemaVersion);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM runs WHERE uuid='r1' AND note=''"), 1);
  EXPECT_EQ(c.query_int("SELECT count(*) FROM sqlite_master WHERE name='measurements_by_work'"), 1);
}

namespace {

void expect_refused(const std::string& f, const char* expected_words) {
  const auto h = hash_file(f);
  for (Access a : {Access::read_only, Access::read_write, Access::create}) {
    try {
      open_database(f, a);
      ADD_FAILURE() << f << " was accepted";
    } catch (const DbFileError& e) {
      EXPECT_NE(std::string(e.what()).find(expected_words), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
    }
    EXPECT_EQ(hash_file(f), h) << "bytes changed";
    EXPECT_FALSE(has_side_files(f)) << "left -wal/-shm/-journal behind";
  }
}

}  // namespace

TEST(Schema, RefusesATextFile) {
  TempDir dir;
  write_bytes(dir.file("notes.db"), "hello, this is not a database\n");
  expect_refused(dir.file("notes.db"), "not an SQLite database");
}

TEST(Schema, RefusesAForeignSqliteDatabase) {
  TempDir dir;
  for (const char* mode : {"DELETE", "WAL"}) {
    const std::string f = dir.file(std::string("foreign-") + mode + ".db");
    {
      Connection c(f, OpenFlags::create);
      c.exec(std::string("PRAGMA journal_mode=") + mode);
      c.exec("CREATE TABLE people(name TEXT); INSERT INTO people VALUES('ada')");
    }
    expect_refused(f, "not a vqtune database");
  }
}

TEST(Schema, RefusesANewerSchema) {
  TempDir dir;
  const std::string f = dir.file("newer.db");
  { Connection c = open_database(f, Access::create); }
  {
    Connection c(f, OpenFlags::read_write);
    c.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  }
  expect_refused(f, "newer");
}

TEST(Schema, RefusesATruncatedDatabase) {
  TempDir dir;
  const std::string f = dir.file("cut.db");
  {
    Connection c = open_database(f, Access::create);
    c.exec("CREATE TABLE filler(x BLOB)");  // several pages, so cutting loses real content
    for (int i = 0; i < 40; ++i) c.exec("INSERT INTO filler VALUES(randomblob(3000))");
  }
  const std::string bytes = read_bytes(f);
  ASSERT_GT(bytes.size(), 16384u);
  write_bytes(f, bytes.substr(0, bytes.size() / 2));
  expect_refused(f, "truncated");
  write_bytes(f, bytes.substr(0, 60));  // shorter than the header
  expect_refused(f, "truncated");
}
