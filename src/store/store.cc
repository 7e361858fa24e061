// Store: opening and configuring the database, the transaction helper, and endpoints.
// Versions live in store_versions.cc and API keys in store_api_keys.cc.
#include "store/store.h"

#include <chrono>
#include <cstdio>
#include <system_error>
#include <utility>

#include "base/log.h"
#include "store/internal/rows.h"
#include "store/internal/sqlite.h"
#include "store/migrations.h"

namespace edgegate::store {
namespace {

using internal::Statement;
using internal::Violation;

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Status CreateParentDirectory(const std::filesystem::path& file) {
  if (!file.has_parent_path()) {
    return base::OkStatus();
  }
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return base::Internal("cannot create directory " + file.parent_path().string() + ": " +
                          ec.message());
  }
  return base::OkStatus();
}

// WAL + synchronous=NORMAL: a commit survives a process crash (the WAL is written before
// COMMIT returns); only an OS crash or power loss may lose the last commits.
Status Configure(internal::Database& db, int busy_timeout_ms) {
  db.SetBusyTimeout(busy_timeout_ms);
  ASSIGN_OR_RETURN(std::string mode, db.QueryPragma("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    EG_LOG_WARN("store: WAL mode unavailable, using journal_mode=" + mode);
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  ASSIGN_OR_RETURN(std::string fk, db.QueryPragma("PRAGMA foreign_keys"));
  if (fk != "1") {
    return base::Internal("sqlite: this libsqlite3 does not enforce foreign keys");
  }
  return base::OkStatus();
}

Status EndpointNotFound(const std::string& id) {
  return base::NotFound("endpoint " + id + " not found");
}

}  // namespace

std::string FormatTimestamp(int64_t ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds{ms}};
  sys_days day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{tp - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int{ymd.year()},
                unsigned{ymd.month()}, unsigned{ymd.day()}, static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& db_file,
                                           StoreOptions options) {
  RETURN_IF_ERROR(CreateParentDirectory(db_file));
  ASSIGN_OR_RETURN(std::unique_ptr<internal::Database> db, internal::Database::Open(db_file));
  RETURN_IF_ERROR(Configure(*db, options.busy_timeout_ms));
  std::function<int64_t()> now = options.now_ms ? std::move(options.now_ms) : SystemNowMs;
  RETURN_IF_ERROR(ApplyMigrations(*db, now()));
  return std::unique_ptr<Store>(new Store(std::move(db), std::move(now)));
}

Store::Store(std::unique_ptr<internal::Database> db, std::function<int64_t()> now_ms)
    : now_ms_(std::move(now_ms)), db_(std::move(db)) {}

Store::~Store() = default;

Result<int64_t> Store::SchemaVersion() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.Int(0) : int64_t{0};
}

Status Store::WriteLocked(const std::function<Status()>& body) {
  ASSIGN_OR_RETURN(internal::Transaction txn, internal::Transaction::Begin(*db_));
  RETURN_IF_ERROR(body());
  return txn.Commit();
}

Status Store::RequireEndpointLocked(const std::string& id) {
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT 1 FROM endpoints WHERE id = ?"));
  ASSIGN_OR_RETURN(bool found, stmt.Bind(1, id).Step());
  return found ? base::OkStatus() : EndpointNotFound(id);
}

Result<std::optional<std::string>> Store::FindRouteOwnerLocked(const EndpointRecord& e) {
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT id FROM endpoints WHERE domain = ? AND "
                                                "method = ? AND route_shape = ? AND id <> ?"));
  stmt.Bind(1, e.domain).Bind(2, e.method).Bind(3, e.route_shape).Bind(4, e.id);
  ASSIGN_OR_RETURN(bool found, stmt.Step());
  return found ? std::optional<std::string>(stmt.Text(0)) : std::nullopt;
}

Status Store::MapEndpointWriteErrorLocked(const EndpointRecord& e, Status error,
                                          Violation violation) {
  switch (violation) {
    case Violation::kUnique: {
      ASSIGN_OR_RETURN(std::optional<std::string> owner, FindRouteOwnerLocked(e));
      return base::AlreadyExists(
          "an endpoint with the same domain, method and path already exists: " +
          owner.value_or("?"));
    }
    case Violation::kPrimaryKey:
      return base::AlreadyExists("endpoint " + e.id + " already exists");
    case Violation::kForeignKey:
      return base::FieldError("collection_id",
                              "collection " + e.collection_id.value_or("") + " not found");
    default:
      return error;
  }
}

Status Store::CreateEndpoint(const EndpointRecord& e) {
  RETURN_IF_ERROR(internal::CheckEndpoint(e));
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(internal::kInsertEndpointSql));
    internal::BindMutableEndpointFields(stmt, e);
    stmt.Bind(11, e.id).Bind(12, e.status).Bind(13, e.active_version);
    stmt.Bind(14, e.created_at != 0 ? e.created_at : now);
    stmt.Bind(15, e.updated_at != 0 ? e.updated_at : now);
    Status status = stmt.Run();
    return status.ok() ? status : MapEndpointWriteErrorLocked(e, status, stmt.violation());
  });
}

Result<EndpointRecord> Store::GetEndpoint(const std::string& id) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare(std::string("SELECT ") + internal::kEndpointColumns +
                                " FROM endpoints WHERE id = ?"));
  stmt.Bind(1, id);
  return internal::ReadOne(stmt, internal::ReadEndpoint, EndpointNotFound(id));
}

Result<std::vector<EndpointRecord>> Store::ListEndpoints(const EndpointFilter& filter) {
  if (filter.limit < 0) {
    return base::FieldError("limit", "limit must not be negative");
  }
  std::lock_guard lock(mu_);
  std::optional<int64_t> cursor_created_at;
  if (!filter.after_id.empty()) {
    ASSIGN_OR_RETURN(Statement cursor,
                     db_->Prepare("SELECT created_at FROM endpoints WHERE id = ?"));
    ASSIGN_OR_RETURN(bool found, cursor.Bind(1, filter.after_id).Step());
    if (!found) {
      return base::FieldError("after_id", "cursor endpoint " + filter.after_id + " not found");
    }
    cursor_created_at = cursor.Int(0);
  }
  // One constant statement: an unset filter binds NULL and its clause is always true.
  std::string sql =
      std::string("SELECT ") +
      (filter.include_code ? internal::kEndpointColumns : internal::kEndpointColumnsWithoutCode) +
      " FROM endpoints WHERE (?1 IS NULL OR domain = ?1)"
      " AND (?2 IS NULL OR collection_id = ?2) AND (?3 IS NULL OR enabled = ?3)"
      " AND (?4 IS NULL OR status = ?4)"
      " AND (?5 IS NULL OR created_at > ?5 OR (created_at = ?5 AND id > ?6))"
      " ORDER BY created_at, id LIMIT ?7";
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
  std::optional<int64_t> enabled;
  if (filter.enabled) {
    enabled = *filter.enabled ? 1 : 0;
  }
  stmt.Bind(1, filter.domain).Bind(2, filter.collection_id).Bind(3, enabled);
  stmt.Bind(4, filter.status).Bind(5, cursor_created_at).Bind(6, filter.after_id);
  stmt.Bind(7, filter.limit == 0 ? int64_t{-1} : int64_t{filter.limit});
  return internal::ReadAll(stmt, internal::ReadEndpoint);
}

Status Store::UpdateEndpoint(const EndpointRecord& e) {
  RETURN_IF_ERROR(internal::CheckEndpoint(e));
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(internal::kUpdateEndpointSql));
    internal::BindMutableEndpointFields(stmt, e);
    stmt.Bind(11, now).Bind(12, e.id);
    Status status = stmt.Run();
    if (!status.ok()) {
      return MapEndpointWriteErrorLocked(e, status, stmt.violation());
    }
    return db_->Changes() == 0 ? EndpointNotFound(e.id) : base::OkStatus();
  });
}

Status Store::DeleteEndpoint(const std::string& id) {
  std::lock_guard lock(mu_);
  return WriteLocked([&]() -> Status {
    // The foreign key cascades too; deleting explicitly keeps the contract visible here.
    ASSIGN_OR_RETURN(Statement versions,
                     db_->Prepare("DELETE FROM endpoint_versions WHERE endpoint_id = ?"));
    RETURN_IF_ERROR(versions.Bind(1, id).Run());
    ASSIGN_OR_RETURN(Statement endpoint, db_->Prepare("DELETE FROM endpoints WHERE id = ?"));
    RETURN_IF_ERROR(endpoint.Bind(1, id).Run());
    return db_->Changes() == 0 ? EndpointNotFound(id) : base::OkStatus();
  });
}

Status Store::SetEndpointStatus(const std::string& id, const std::string& status,
                                std::optional<int64_t> active_version) {
  RETURN_IF_ERROR(internal::CheckOneOf(status, kEndpointStatuses, "status"));
  std::lock_guard lock(mu_);
  int64_t now = now_ms_();
  return WriteLocked([&]() -> Status {
    ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("UPDATE endpoints SET status = ?, "
                                                  "active_version = ?, updated_at = ? "
                                                  "WHERE id = ?"));
    RETURN_IF_ERROR(stmt.Bind(1, status).Bind(2, active_version).Bind(3, now).Bind(4, id).Run());
    return db_->Changes() == 0 ? EndpointNotFound(id) : base::OkStatus();
  });
}

}  // namespace edgegate::store
