// RAII wrappers over libsqlite3; every failure becomes Internal with sqlite's message.
#include "store/internal/sqlite.h"

#include <sqlite3.h>

#include <climits>
#include <utility>

namespace edgegate::store::internal {
namespace {

Status SqliteError(sqlite3* db, std::string_view what) {
  std::string msg = "sqlite: ";
  msg += what;
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return base::Internal(std::move(msg));
}

Violation ViolationOf(int extended_rc) {
  switch (extended_rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
      return Violation::kUnique;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Violation::kPrimaryKey;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Violation::kForeignKey;
    default:
      return (extended_rc & 0xff) == SQLITE_CONSTRAINT ? Violation::kOther : Violation::kNone;
  }
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cached_(std::exchange(other.cached_, nullptr)),
      bind_status_(std::move(other.bind_status_)),
      violation_(other.violation_) {}

Statement::~Statement() {
  if (cached_ == nullptr) {
    sqlite3_finalize(stmt_);  // a no-op on null
    return;
  }
  // Back to the cache: reset ends its read of the database (and returns the last step's error,
  // already reported); cleared bindings cannot leak into the next use.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  cached_->in_use = false;
}

Statement& Statement::RecordBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteError(db_, "bind parameter " + std::to_string(index));
  }
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  if (text.size() > static_cast<size_t>(INT_MAX)) {
    return RecordBind(SQLITE_TOOBIG, index);
  }
  return RecordBind(
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT),
      index);
}

Statement& Statement::Bind(int index, int64_t value) {
  return RecordBind(sqlite3_bind_int64(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text))
              : RecordBind(sqlite3_bind_null(stmt_, index), index);
}

Statement& Statement::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : RecordBind(sqlite3_bind_null(stmt_, index), index);
}

Result<bool> Statement::Step() {
  RETURN_IF_ERROR(bind_status_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  violation_ = ViolationOf(sqlite3_extended_errcode(db_));
  return SqliteError(db_, "step");
}

Status Statement::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) {
      return base::OkStatus();
    }
  }
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);  // after column_text, per the sqlite docs
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::optional<std::string> Statement::OptText(int col) const {
  return IsNull(col) ? std::nullopt : std::optional<std::string>(Text(col));
}

std::optional<int64_t> Statement::OptInt(int col) const {
  return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
}

Result<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteError(db, "open " + file.string());
    sqlite3_close(db);  // a handle is returned even on failure (or null on OOM)
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() {
  // Statements do not outlive the Database, so none of these is in use.
  for (auto& [sql, cached] : statements_) {
    sqlite3_finalize(cached.stmt);
  }
  sqlite3_close(db_);
}

Status Database::Exec(std::string_view sql) {
  std::string copy(sql);  // sqlite3_exec needs a terminated string
  char* err = nullptr;
  int rc = sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) {
    return base::OkStatus();
  }
  std::string msg = "sqlite: exec: ";
  msg += err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return base::Internal(std::move(msg));
}

Result<Statement> Database::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end() && !it->second.in_use) {
    it->second.in_use = true;
    return Statement(db_, it->second.stmt, &it->second);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, "prepare");
  }
  if (stmt == nullptr) {
    return base::Internal("sqlite: prepare: empty statement");
  }
  if (it == statements_.end() && statements_.size() < kMaxCachedStatements) {
    // Kept from now on; a nested use of the same SQL (the entry in use) gets its own statement.
    CachedStatement& cached =
        statements_.emplace(std::string(sql), CachedStatement{stmt, true}).first->second;
    return Statement(db_, stmt, &cached);
  }
  return Statement(db_, stmt);
}

Result<std::string> Database::QueryPragma(std::string_view sql) {
  ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return base::Internal("sqlite: pragma answered no row: " + std::string(sql));
  }
  return stmt.Text(0);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

void Database::SetBusyTimeout(int milliseconds) { sqlite3_busy_timeout(db_, milliseconds); }

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Result<Transaction> Transaction::Begin(Database& db) {
  ASSIGN_OR_RETURN(Statement begin, db.Prepare("BEGIN IMMEDIATE"));
  RETURN_IF_ERROR(begin.Run());
  return Transaction(db);
}

Transaction::~Transaction() {
  // sqlite may already have rolled back by itself after some errors (e.g. SQLITE_FULL).
  if (db_ != nullptr && db_->InTransaction()) {
    (void)db_->Exec("ROLLBACK");  // nothing better to do with a failed rollback
  }
}

Status Transaction::Commit() {
  {
    ASSIGN_OR_RETURN(Statement commit, db_->Prepare("COMMIT"));
    RETURN_IF_ERROR(commit.Run());
  }  // reset before the transaction is over for the caller
  db_ = nullptr;
  return base::OkStatus();
}

}  // namespace edgegate::store::internal
