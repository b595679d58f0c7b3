#include "db/sqlite.hpp"

#include <chrono>
#include <thread>
#include <utility>

namespace vqt::db {

namespace {

std::string describe_error(int code, int extended_code, const std::string& message,
                           const std::string& sql) {
  std::string s = "SQLite error " + std::to_string(code) + " (" + sqlite3_errstr(code) + ", ext " +
                  std::to_string(extended_code) + "): " + message;
  if (!sql.empty()) s += " in: " + sql;
  return s;
}

}  // namespace

std::string file_uri(const std::string& path, OpenFlags flags) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '?' || c == '#' || c == '%') {
      static const char* hex = "0123456789ABCDEF";
      uri += '%';
      uri += hex[(static_cast<unsigned char>(c) >> 4) & 15];
      uri += hex[static_cast<unsigned char>(c) & 15];
    } else {
      uri += c;
    }
  }
  if (flags == OpenFlags::read_only) uri += "?mode=ro";
  if (flags == OpenFlags::immutable) uri += "?mode=ro&immutable=1";
  return uri;
}

SqliteError::SqliteError(int code, int extended_code, const std::string& message,
                         const std::string& sql)
    : Error(describe_error(code, extended_code, message, sql)),
      code_(code),
      extended_code_(extended_code),
      sql_(sql) {}

void check(int rc, sqlite3* db, const std::string& sql) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  const int ext = db ? sqlite3_extended_errcode(db) : rc;
  const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(rc & 0xff, ext, msg, sql);
}

Connection::Connection(const std::string& path, OpenFlags flags, int busy_timeout_ms)
    : path_(path), busy_timeout_ms_(busy_timeout_ms) {
  int f = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  flags_ = flags;
  read_only_ = flags == OpenFlags::read_only || flags == OpenFlags::immutable;
  if (read_only_) f |= SQLITE_OPEN_READONLY;
  if (flags == OpenFlags::read_write) f |= SQLITE_OPEN_READWRITE;
  if (flags == OpenFlags::create) f |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const std::string uri = file_uri(path, flags);
  const int rc = sqlite3_open_v2(uri.c_str(), &db_, f, nullptr);
  if (rc != SQLITE_OK) {
    const int ext = db_ ? sqlite3_extended_errcode(db_) : rc;
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(rc & 0xff, ext, msg, "open " + uri);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms_);
  exec("PRAGMA foreign_keys = ON");
}

Connection::~Connection() {
  if (db_) sqlite3_close_v2(db_);
}

Connection::Connection(Connection&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)),
      path_(std::move(o.path_)),
      read_only_(o.read_only_),
      flags_(o.flags_),
      busy_timeout_ms_(o.busy_timeout_ms_) {}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
    read_only_ = o.read_only_;
    flags_ = o.flags_;
    busy_timeout_ms_ = o.busy_timeout_ms_;
  }
  return *this;
}

void Connection::exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  check(rc, db_, sql);
}

void Connection::exec_retrying_busy(const std::string& sql) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms_);
  for (int attempt = 0;; ++attempt) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (err) sqlite3_free(err);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline)
      check(rc, db_, sql);
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt % 10));
  }
}

std::int64_t Connection::query_int(const std::string& sql) {
  Statement st(*this, sql);
  return st.step() ? st.get_int(0) : 0;
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

Statement::Statement(Connection& conn, const std::string& sql) : db_(conn.handle()), sql_(sql) {
  check(sqlite3_prepare_v2(conn.handle(), sql.c_str(), int(sql.size()), &stmt_, nullptr),
        conn.handle(), sql);
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t v) {
  check(sqlite3_bind_int64(stmt_, index, v), db_, sql_);
  return *this;
}

Statement& Statement::bind(int index, double v) {
  check(sqlite3_bind_double(stmt_, index, v), db_, sql_);
  return *this;
}

Statement& Statement::bind(int index, const std::string& v) {
  check(sqlite3_bind_text(stmt_, index, v.data(), int(v.size()), SQLITE_TRANSIENT), db_, sql_);
  return *this;
}

Statement& Statement::bind_null(int index) {
  check(sqlite3_bind_null(stmt_, index), db_, sql_);
  return *this;
}

int Statement::index_of(const char* name) const {
  const int i = sqlite3_bind_parameter_index(stmt_, name);
  if (i == 0) throw Error(std::string("no SQL parameter ") + name + " in: " + sql_);
  return i;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  check(rc, db_, sql_);
  return false;
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t Statement::get_int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double Statement::get_double(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string Statement::get_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::optional<double> Statement::get_opt_double(int col) const {
  if (is_null(col)) return std::nullopt;
  return get_double(col);
}

std::optional<std::string> Statement::get_opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return get_text(col);
}

int Statement::columns() const {
  return sqlite3_column_count(stmt_);
}

std::string Statement::column_name(int col) const {
  return sqlite3_column_name(stmt_, col);
}

Transaction::Transaction(Connection& conn) : conn_(conn) {
  // The busy handler does not cover every BEGIN IMMEDIATE conflict (e.g. a WAL snapshot that must
  // be refreshed), so retry with a short sleep until the connection's busy timeout.
  conn.exec_retrying_busy("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  conn_.exec("COMMIT");
  done_ = true;
}

}  // namespace vqt::db
