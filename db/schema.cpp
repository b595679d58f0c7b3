#include "db/schema.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

namespace vqt::db {

namespace {

// In WAL mode, NORMAL keeps the database consistent after a crash of the process or the machine; a
// power loss may drop the last commits, not corrupt the file
// (sqlite.org/pragma.html#pragma_synchronous).
constexpr const char* kSynchronous = "PRAGMA synchronous = NORMAL";

struct Migration {
  int to_version;
  const char* what;
  const char* sql;
};

// Version 1: the tables of issue 3. Version 2: the index behind "already measured for this GPU +
// build?" and a free-text note on runs. Append steps; never edit a released one.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> steps = {
      {1, "initial schema", R"SQL(
CREATE TABLE vqtune_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE gpus(
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  name TEXT NOT NULL,
  cc_major INTEGER NOT NULL,
  cc_minor INTEGER NOT NULL,
  driver TEXT NOT NULL,
  cuda_version TEXT NOT NULL,
  spec_key TEXT NOT NULL DEFAULT '',
  gpu_key TEXT NOT NULL,
  UNIQUE(uuid, driver, cuda_version));
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  who TEXT NOT NULL,
  host TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  args TEXT NOT NULL,
  vqtune_version TEXT NOT NULL,
  build_commit TEXT NOT NULL);
CREATE TABLE ceilings(
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  gpu_id INTEGER NOT NULL REFERENCES gpus(id),
  run_id INTEGER REFERENCES runs(id),
  name TEXT NOT NULL,
  value REAL NOT NULL,
  unit TEXT NOT NULL,
  rel_spread REAL NOT NULL,
  count INTEGER NOT NULL,
  measured_at TEXT NOT NULL);
CREATE TABLE problems(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  op TEXT NOT NULL,
  vq_key TEXT NOT NULL,
  vq_name TEXT NOT NULL,
  vec_size INTEGER NOT NULL, index_bits INTEGER NOT NULL, residuals INTEGER NOT NULL,
  scope TEXT NOT NULL, tile_rows INTEGER NOT NULL, tile_cols INTEGER NOT NULL,
  channel_group INTEGER NOT NULL, lattice_entries INTEGER NOT NULL,
  m INTEGER NOT NULL, n INTEGER NOT NULL, k INTEGER NOT NULL,
  batch INTEGER NOT NULL, q_heads INTEGER NOT NULL, kv_heads INTEGER NOT NULL,
  head_dim INTEGER NOT NULL, context INTEGER NOT NULL,
  bucket TEXT NOT NULL);
CREATE TABLE candidates(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  n_reg INTEGER NOT NULL, n_smem INTEGER NOT NULL, smem_copies INTEGER NOT NULL,
  l1_bypass INTEGER NOT NULL, cb_split INTEGER NOT NULL, fusion TEXT NOT NULL,
  dataflow TEXT NOT NULL, tile_m INTEGER NOT NULL, tile_n INTEGER NOT NULL,
  tile_k INTEGER NOT NULL, threads INTEGER NOT NULL, split_k INTEGER NOT NULL);
CREATE TABLE measurements(
  id INTEGER PRIMARY KEY,
  uid TEXT NOT NULL UNIQUE,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  gpu_id INTEGER NOT NULL REFERENCES gpus(id),
  problem_id INTEGER NOT NULL REFERENCES problems(id),
  candidate_id INTEGER NOT NULL REFERENCES candidates(id),
  status TEXT NOT NULL CHECK(status IN ('ok','launch_failed','resource_limit',
                                        'validation_failed','compile_failed','timeout')),
  timer TEXT NOT NULL CHECK(timer IN ('cupti','cuda_event')),
  median_s REAL, min_s REAL, max_s REAL, rel_stdev REAL,
  count INTEGER NOT NULL,
  counters_json TEXT,
  measured_at TEXT NOT NULL);
CREATE TABLE predictions(
  id INTEGER PRIMARY KEY,
  gpu_key TEXT NOT NULL,
  problem_id INTEGER NOT NULL REFERENCES problems(id),
  candidate_id INTEGER NOT NULL REFERENCES candidates(id),
  model_version TEXT NOT NULL,
  predicted_s REAL NOT NULL,
  bound TEXT NOT NULL,
  bytes_json TEXT NOT NULL,
  UNIQUE(gpu_key, problem_id, candidate_id, model_version));
CREATE TABLE coefficients(
  id INTEGER PRIMARY KEY,
  gpu_key TEXT NOT NULL,
  model_version TEXT NOT NULL,
  coefficients_json TEXT NOT NULL,
  fitted_at TEXT NOT NULL,
  UNIQUE(gpu_key, model_version));
CREATE TABLE heuristics(
  id INTEGER PRIMARY KEY,
  gpu_key TEXT NOT NULL,
  op TEXT NOT NULL,
  vq_key TEXT NOT NULL,
  bucket TEXT NOT NULL,
  d0 INTEGER NOT NULL, d1 INTEGER NOT NULL, d2 INTEGER NOT NULL, d3 INTEGER NOT NULL,
  d4 INTEGER NOT NULL,
  candidate_id INTEGER NOT NULL REFERENCES candidates(id),
  problem_id INTEGER NOT NULL REFERENCES problems(id),
  measurement_id INTEGER REFERENCES measurements(id),
  measured_s REAL,
  predicted_s REAL,
  model_version TEXT,
  source TEXT NOT NULL CHECK(source IN ('measured','model','merged')),
  n_problems INTEGER NOT NULL,
  n_devices INTEGER NOT NULL,
  UNIQUE(gpu_key, op, vq_key, bucket));
)SQL"},
      {2, "index for resume queries; run notes", R"SQL(
CREATE INDEX measurements_by_work ON measurements(gpu_id, problem_id, candidate_id);
ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';
)SQL"},
  };
  return steps;
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::int64_t file_size(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? std::int64_t(st.st_size) : -1;
}

bool has_write_bits(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && (st.st_mode & 0222) != 0;
}

std::string dir_of(const std::string& p) {
  const auto slash = p.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

std::uint32_t be32(const unsigned char* b) {
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
         std::uint32_t(b[3]);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Checks the 100-byte SQLite header with plain reads. `hot_wal`: a non-empty -wal file exists, so
// the header may be stale and identity/version are checked after opening instead.
// The first 100 bytes of `path` and its size, read together. While another process checkpoints
// its WAL into the file, page 1 (the header with the page count) can be written before the file
// has grown to that count: when a -wal or -shm file says another connection may be at work, a
// size short of the header's count is read again (every 5 ms, up to 1 s) before it counts as
// truncated.
struct RawHeader {
  std::array<unsigned char, 100> bytes{};
  std::streamsize got = 0;
  std::int64_t size = 0;
};

RawHeader read_raw_header(const std::string& path) {
  RawHeader r;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DbFileError(path + ": cannot be read");
  in.read(reinterpret_cast<char*>(r.bytes.data()), 100);
  r.got = in.gcount();
  r.size = file_size(path);
  return r;
}

// The header's page size (0 when it is not a valid one) and page count.
std::int64_t page_size_of(const RawHeader& r) {
  std::int64_t page_size = (std::int64_t(r.bytes[16]) << 8) | r.bytes[17];
  if (page_size == 1) page_size = 65536;
  return page_size < 512 || (page_size & (page_size - 1)) != 0 ? 0 : page_size;
}
std::uint32_t pages_of(const RawHeader& r) {
  return be32(&r.bytes[28]);
}

// The file is not a whole number of pages, or (its page count valid and no WAL holding the rest)
// shorter than the header's count.
bool short_of_header(const RawHeader& r, bool hot_wal) {
  const std::int64_t page_size = page_size_of(r);
  if (r.got < 100 || page_size == 0) return false;
  const std::uint32_t pages = pages_of(r);
  const bool pages_valid = be32(&r.bytes[24]) == be32(&r.bytes[92]) && pages > 0;
  return r.size % page_size != 0 ||
         (pages_valid && !hot_wal && r.size < std::int64_t(pages) * page_size);
}

void check_header(const std::string& path, bool hot_wal) {
  RawHeader raw = read_raw_header(path);
  if (!hot_wal && short_of_header(raw, false) && (exists(path + "-wal") || exists(path + "-shm"))) {
    for (int i = 0; i < 200 && short_of_header(raw, false); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      raw = read_raw_header(path);
    }
  }
  const std::int64_t size = raw.size;
  const auto& h = raw.bytes;
  const auto got = raw.got;
  static const char magic[] = "SQLite format 3";
  if (got < 16 || std::string(reinterpret_cast<const char*>(h.data()), 15) != magic || h[15] != 0)
    throw DbFileError(path + ": not an SQLite database (the file does not start with the " +
                      "SQLite header); refusing to touch it");
  if (got < 100)
    throw DbFileError(path + ": truncated SQLite database (" + std::to_string(size) +
                      " bytes, shorter than the 100-byte header)");
  const std::int64_t page_size = page_size_of(raw);
  if (page_size == 0)
    throw DbFileError(path + ": corrupt SQLite header (page size " +
                      std::to_string((int(h[16]) << 8) | h[17]) + ")");
  if (short_of_header(raw, hot_wal))
    throw DbFileError(path + ": truncated SQLite database (" + std::to_string(size) +
                      " bytes; the header says " + std::to_string(pages_of(raw)) + " pages of " +
                      std::to_string(page_size) + " bytes)");
  if (hot_wal) return;
  const std::uint32_t app_id = be32(&h[68]);
  if (app_id != std::uint32_t(kApplicationId))
    throw DbFileError(path + ": an SQLite database but not a vqtune database (application_id " +
                      hex32(app_id) + ", expected " + hex32(std::uint32_t(kApplicationId)) +
                      "); refusing to modify it");
  const std::uint32_t version = be32(&h[60]);
  if (version > std::uint32_t(kSchemaVersion))
    throw DbFileError(path + ": schema version " + std::to_string(version) +
                      " is newer than this vqtune supports (" + std::to_string(kSchemaVersion) +
                      "); use a newer vqtune");
}

// Identity and version through SQLite (sees WAL contents). Returns the schema version.
int check_identity(Connection& conn) {
  const std::string& path = conn.path();
  try {
    const auto app_id = std::uint32_t(conn.query_int("PRAGMA application_id"));
    const bool has_meta =
        conn.query_int("SELECT count(*) FROM sqlite_master WHERE name='vqtune_meta'") > 0;
    if (app_id != std::uint32_t(kApplicationId) || !has_meta)
      throw DbFileError(path + ": an SQLite database but not a vqtune database (application_id " +
                        hex32(app_id) + (has_meta ? "" : ", no vqtune_meta table") +
                        "); refusing to modify it");
    const int version = schema_version(conn);
    if (version > kSchemaVersion)
      throw DbFileError(path + ": schema version " + std::to_string(version) +
                        " is newer than this vqtune supports (" + std::to_string(kSchemaVersion) +
                        "); use a newer vqtune");
    return version;
  } catch (const SqliteError& e) {
    const int c = e.code();
    if (c == SQLITE_CORRUPT || c == SQLITE_NOTADB)
      throw DbFileError(path + ": corrupt database (" + sqlite3_errstr(c) + ")");
    throw;
  }
}

void apply_migrations(Connection& conn, int from_version, int to_version) {
  for (const auto& m : migrations())
    if (m.to_version > from_version && m.to_version <= to_version) conn.exec(m.sql);
  conn.exec("PRAGMA user_version = " + std::to_string(to_version));
}

// In one transaction: a fresh file gets the schema, an older one is migrated. Re-reads the version
// inside the transaction, so concurrent openers do the work once.
void initialise_or_migrate(Connection& conn, int target_version) {
  Transaction tx(conn);
  const int version = schema_version(conn);
  const auto tables = conn.query_int("SELECT count(*) FROM sqlite_master");
  if (version == 0 && tables == 0 && conn.query_int("PRAGMA application_id") == 0) {
    conn.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    apply_migrations(conn, 0, target_version);
    Statement meta(conn, "INSERT INTO vqtune_meta(key, value) VALUES(?, ?)");
    meta.bind(1, "format").bind(2, "vqtune heuristics database").run();
    meta.bind(1, "created_schema_version").bind(2, std::to_string(target_version)).run();
  } else {
    check_identity(conn);
    if (version < target_version) apply_migrations(conn, version, target_version);
  }
  tx.commit();
}

// Runs `body`; when it throws, removes the -wal/-shm/-journal files that it created.
template <class F>
auto leave_no_trace(const std::string& path, F&& body) -> decltype(body()) {
  const std::array<std::string, 3> side = {path + "-wal", path + "-shm", path + "-journal"};
  std::array<bool, 3> before{};
  for (size_t i = 0; i < side.size(); ++i) before[i] = exists(side[i]);
  try {
    return body();
  } catch (...) {
    for (size_t i = 0; i < side.size(); ++i)
      if (!before[i] && exists(side[i])) ::unlink(side[i].c_str());
    throw;
  }
}

Connection open_checked_read_only(const std::string& path, int busy_timeout_ms) {
  // A WAL file needs a -shm next to it. A file or directory without write permission (by access()
  // or, for root, which access() does not stop, by its mode bits) is a shared read-only copy: read
  // it immutable, which creates nothing and takes no locks; no writer can be changing it.
  const std::string dir = dir_of(path);
  const bool writable = ::access(dir.c_str(), W_OK) == 0 && has_write_bits(dir) &&
                        ::access(path.c_str(), W_OK) == 0 && has_write_bits(path);
  const bool use_shm = writable || exists(path + "-shm");
  return Connection(path, use_shm ? OpenFlags::read_only : OpenFlags::immutable, busy_timeout_ms);
}

}  // namespace

void check_integrity(Connection& conn) {
  file_errors_as_input_errors([&] {
    Statement st(conn, "PRAGMA quick_check");
    const std::string check = st.step() ? st.get_text(0) : "no result";
    if (check != "ok")
      throw DbFileError(conn.path() + ": corrupt database (quick_check: " + check + ")");
  });
}

int schema_version(Connection& conn) {
  return int(conn.query_int("PRAGMA user_version"));
}

Connection open_database(const std::string& path, Access access, int busy_timeout_ms) {
  if (path.empty()) throw InputError("--db: empty database path");
  const bool present = exists(path);
  const bool hot_wal = file_size(path + "-wal") > 0;
  const bool empty = present && file_size(path) == 0 && !hot_wal;
  if (!present || empty) {
    if (access != Access::create) {
      throw DbFileError(path + (present ? ": empty file, not a vqtune database"
                                        : ": no such database (create one with vqtune db init "
                                          "--db " +
                                              path + ")"));
    }
    return leave_no_trace(path, [&] {
      Connection conn(path, OpenFlags::create, busy_timeout_ms);
      initialise_or_migrate(conn, kSchemaVersion);
      conn.exec_retrying_busy("PRAGMA journal_mode = WAL");
      conn.exec(kSynchronous);
      return conn;
    });
  }
  check_header(path, hot_wal);
  return leave_no_trace(path, [&] {
    int version = 0;
    {
      Connection ro = open_checked_read_only(path, busy_timeout_ms);
      version = check_identity(ro);
      if (access == Access::read_only) {
        if (version < kSchemaVersion)
          throw DbFileError(path + ": schema version " + std::to_string(version) +
                            " is older than " + std::to_string(kSchemaVersion) +
                            "; open it read-write once to migrate (vqtune db init --db " + path +
                            ")");
        // A read-only connection cannot remove the -wal/-shm files when it closes, so where we
        // may write, read through a read-write connection with query_only set: the last
        // connection to close then checkpoints and tidies up, and no statement can write.
        if (ro.flags() == OpenFlags::immutable) return ro;
      }
    }
    if (access == Access::read_only) {
      Connection q(path, OpenFlags::read_write, busy_timeout_ms);
      q.exec("PRAGMA query_only = ON");
      return q;
    }
    Connection conn(path, OpenFlags::read_write, busy_timeout_ms);
    if (version < kSchemaVersion) initialise_or_migrate(conn, kSchemaVersion);
    conn.exec_retrying_busy("PRAGMA journal_mode = WAL");
    conn.exec(kSynchronous);
    return conn;
  });
}

void create_database_at_version(const std::string& path, int version) {
  if (exists(path)) throw InputError(path + ": exists");
  if (version < 1 || version > kSchemaVersion)
    throw InputError("schema version " + std::to_string(version) + " is not in 1.." +
                     std::to_string(kSchemaVersion));
  Connection conn(path, OpenFlags::create);
  initialise_or_migrate(conn, version);
  conn.exec_retrying_busy("PRAGMA journal_mode = WAL");
}

}  // namespace vqt::db
