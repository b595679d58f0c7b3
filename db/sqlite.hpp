// A thin RAII layer over the SQLite C API: Connection, Statement, Transaction and SqliteError.
// Only db/ uses it; nothing outside db/ writes SQL. Every SQLite result code goes through one check
// function, check(), which throws SqliteError with the primary and extended codes and the SQL.
//
// Assumes SQLite >= 3.24 (UPSERT) and that a Connection is used from one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include "vq/error.hpp"

namespace vqt::db {

// A failed SQLite call: what() reads "SQLite error 5 (SQLITE_BUSY, ext 517): <message> in: <sql>".
class SqliteError : public Error {
 public:
  SqliteError(int code, int extended_code, const std::string& message, const std::string& sql);
  int code() const { return code_; }
  int extended_code() const { return extended_code_; }
  const std::string& sql() const { return sql_; }

 private:
  int code_;
  int extended_code_;
  std::string sql_;
};

// Throws SqliteError when `rc` is not SQLITE_OK / SQLITE_ROW / SQLITE_DONE. `db` may be null.
void check(int rc, sqlite3* db, const std::string& sql);

enum class OpenFlags {
  read_only,   // mode=ro: sees WAL contents, may create -shm if the directory is writable
  immutable,   // immutable=1: read-only, no locks, no -wal/-shm (shared read-only files)
  read_write,  // the file must exist
  create,      // read-write, created when missing
};

class Statement;

// The "file:" URI SQLite opens for `path` with `flags` (mode=ro / immutable=1 query parameters;
// reserved characters escaped). ATTACH of a read-only input uses it too.
std::string file_uri(const std::string& path, OpenFlags flags);

// One open database handle. Read-write connections run in WAL mode with foreign keys on and a
// busy timeout; begin_immediate() retries SQLITE_BUSY until `busy_timeout_ms` has passed.
class Connection {
 public:
  Connection(const std::string& path, OpenFlags flags, int busy_timeout_ms = 10000);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&& o) noexcept;
  Connection& operator=(Connection&& o) noexcept;

  // Runs one or more statements without results.
  void exec(const std::string& sql);
  // The same, retried while SQLite answers SQLITE_BUSY, until the busy timeout: for statements
  // the busy handler does not cover, such as PRAGMA journal_mode = WAL while another process
  // holds the file (several writers racing to create it).
  void exec_retrying_busy(const std::string& sql);
  // The first column of the first row of a query, as an integer (0 when there is no row).
  std::int64_t query_int(const std::string& sql);
  std::int64_t last_insert_rowid() const;
  int changes() const;
  bool read_only() const { return read_only_; }
  OpenFlags flags() const { return flags_; }
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  int busy_timeout_ms() const { return busy_timeout_ms_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  bool read_only_ = false;
  OpenFlags flags_ = OpenFlags::read_write;
  int busy_timeout_ms_ = 10000;
};

// A prepared statement; it must not outlive its Connection. Bind indices start at 1 (SQLite's
// convention); names include the prefix
// (":name"). Column indices start at 0.
class Statement {
 public:
  Statement(Connection& conn, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, int v) { return bind(index, std::int64_t{v}); }
  Statement& bind(int index, double v);
  Statement& bind(int index, const std::string& v);
  Statement& bind(int index, const char* v) { return bind(index, std::string(v)); }
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& v) {
    return v ? bind(index, *v) : bind_null(index);
  }
  template <class T>
  Statement& bind(const char* name, const T& v) {
    return bind(index_of(name), v);
  }

  // Advances; true when a row is available.
  bool step();
  // Steps a statement that returns no rows (INSERT / UPDATE), then resets it.
  void run();
  void reset();

  bool is_null(int col) const;
  std::int64_t get_int(int col) const;
  double get_double(int col) const;
  std::string get_text(int col) const;
  std::optional<double> get_opt_double(int col) const;
  std::optional<std::string> get_opt_text(int col) const;
  int columns() const;
  std::string column_name(int col) const;

 private:
  int index_of(const char* name) const;
  sqlite3* db_;  // the handle, not the Connection: a Connection may move, its handle does not
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

// BEGIN IMMEDIATE (retrying SQLITE_BUSY); rolls back in the destructor unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

}  // namespace vqt::db
