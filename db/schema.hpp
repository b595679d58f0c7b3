// The vqtune database schema, its version and forward migrations, and the one way to open a file.
//
// A vqtune database carries PRAGMA application_id = kApplicationId ('VQTU') and a vqtune_meta
// table; PRAGMA user_version is the schema version. open_database() checks a file before it writes
// anything: the header bytes are read with plain file I/O, then the file is opened read-only to
// confirm identity and version, and only then reopened read-write (migrating an older schema in one
// transaction). A file that is not SQLite, is truncated or corrupt, is a foreign SQLite database or
// has a newer schema is refused with DbFileError (an InputError: exit 2) and left byte-for-byte as
// it was, with no -wal/-shm/-journal files left behind.
#pragma once

#include <cstdint>
#include <string>

#include "db/sqlite.hpp"

namespace vqt::db {

constexpr std::int32_t kApplicationId = 0x56515455;  // "VQTU"
constexpr int kSchemaVersion = 2;

// The database file cannot be used (not SQLite, truncated, corrupt, foreign, newer schema).
class DbFileError : public InputError {
 public:
  explicit DbFileError(const std::string& what) : InputError(what) {}
};

enum class Access {
  read_only,   // never writes; uses immutable=1 when the directory is not writable
  read_write,  // the file must exist and be a vqtune database (older schemas are migrated)
  create,      // like read_write, but a missing (or empty) file is created
};

Connection open_database(const std::string& path, Access access, int busy_timeout_ms = 10000);

// Creates a new database at exactly `version` (1..kSchemaVersion); tests use it to check
// migrations. Throws when the file exists.
void create_database_at_version(const std::string& path, int version);

// PRAGMA quick_check (reads every page, O(file size)); throws DbFileError naming the first problem.
// The CLI runs it before it reads or writes a file; the runtime lookup does not.
void check_integrity(Connection& conn);

// Runs `body`; an SQLite error saying the file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB) becomes a
// DbFileError (exit 2), since the fault is in the user's file, not in vqtune.
template <class F>
auto file_errors_as_input_errors(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SqliteError& e) {
    if (e.code() == SQLITE_CORRUPT || e.code() == SQLITE_NOTADB)
      throw DbFileError(std::string("corrupt database file: ") + e.what());
    throw;
  }
}

// The schema version of an open connection (PRAGMA user_version).
int schema_version(Connection& conn);

}  // namespace vqt::db
