// A thin RAII layer over the libsqlite3 C API: one owned connection, prepared statements with
// bound parameters, and a write transaction that rolls back unless committed. It exists so the
// store never handles a raw sqlite3 pointer, never splices a value into SQL, and turns every
// sqlite failure into a Status carrying sqlite's own message instead of crashing.
//
// Why statements are cached: compiling SQL was a quarter of the gateway's CPU time for a hot
// swap (the admin API prepares the same few dozen statements on every call, and a swap shares
// its core with the I/O loop). The connection keeps each compiled statement by its SQL text; a
// Statement borrows it and, when destroyed, resets it (releasing its read lock) and clears its
// bindings for the next caller.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/string_map.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edgegate::store::internal {

using base::Result;
using base::Status;

// Which constraint a failed statement violated, for mapping to a caller-facing error.
enum class Violation { kNone, kUnique, kPrimaryKey, kForeignKey, kOther };

// A compiled statement the Database keeps for reuse, and whether a Statement has it now.
struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  bool in_use = false;
};

// A prepared statement. Binds are 1-based, columns 0-based. A bind failure is remembered and
// reported by the next Step/Run, so a chain of binds needs no error checks of its own.
// Move-only; must not outlive the Database that prepared it. Thread-compatible.
class Statement {
 public:
  // `cached`: the Database's entry this statement is borrowed from (given back on destruction),
  // or null for a statement of its own (finalized on destruction).
  Statement(sqlite3* db, sqlite3_stmt* stmt, CachedStatement* cached = nullptr)
      : db_(db), stmt_(stmt), cached_(cached) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, bool value) { return Bind(index, int64_t{value ? 1 : 0}); }
  Statement& Bind(int index, const std::optional<std::string>& text);
  Statement& Bind(int index, const std::optional<int64_t>& value);

  // Advances: true when a row is available, false when done. Internal on failure; after a
  // constraint failure violation() says which kind.
  Result<bool> Step();
  // Steps to completion, discarding rows.
  Status Run();
  Violation violation() const { return violation_; }

  // REQUIRES: the last Step returned true.
  std::string Text(int col) const;
  int64_t Int(int col) const;
  bool Bool(int col) const { return Int(col) != 0; }
  bool IsNull(int col) const;
  std::optional<std::string> OptText(int col) const;
  std::optional<int64_t> OptInt(int col) const;

 private:
  Statement& RecordBind(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  CachedStatement* cached_;
  Status bind_status_;
  Violation violation_ = Violation::kNone;
};

// One owned sqlite connection. Thread-compatible: callers serialise access (Store holds a mutex).
class Database {
 public:
  // Opens (creating if missing) `file` with extended result codes on; does not set pragmas.
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& file);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs constant SQL (one or more statements, no values). For pragmas, DDL and BEGIN/COMMIT.
  Status Exec(std::string_view sql);
  // Compiles one statement, or reuses the compiled one for the same SQL text when no other
  // Statement has it. Internal (with sqlite's message) if the SQL does not compile.
  Result<Statement> Prepare(std::string_view sql);
  // How many compiled statements are kept for reuse.
  size_t cached_statements() const { return statements_.size(); }
  // Runs a pragma that answers one row and returns its first column as text.
  Result<std::string> QueryPragma(std::string_view sql);
  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // Sets how long a statement waits for another process's lock before failing.
  void SetBusyTimeout(int milliseconds);
  // True inside an explicit transaction.
  bool InTransaction() const;

 private:
  // The store's SQL is built from constants, so the cache stays small; this bounds it anyway.
  static constexpr size_t kMaxCachedStatements = 256;

  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // SQL text → compiled statement, looked up as a string_view: Prepare runs on every store call
  // and must not copy the text. Node-based: a Statement keeps a pointer to its entry.
  base::StringMap<CachedStatement> statements_;
};

// An IMMEDIATE (write-locking) transaction that rolls back on destruction unless committed.
// Move-only. Thread-compatible.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  // Commits; on failure the destructor rolls back.
  Status Commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;  // null once committed or moved from
};

}  // namespace edgegate::store::internal
